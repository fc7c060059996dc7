"""The real SIP/RTP adapter (issue 3): a pool of baresip worker processes.

Nothing outside this package imports baresip.
"""
