"""The recall benchmark (issue 5): a hidden-truth world, baselines, an oracle, reports."""
