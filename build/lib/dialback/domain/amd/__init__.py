"""Answering-machine and beep detection over 20 ms frames (SPEC V1-V4, C8, D12).

Pure: the detectors consume per-frame features (``frames.FrameFeatures``)
that an adapter computes from 8 kHz PCM with a maintained voice-activity
detector; the decisions themselves are standard-library Python.
"""
