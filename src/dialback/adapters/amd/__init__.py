"""Audio in, frame features out: the numpy/VAD side of answering-machine detection.

``features.FeatureExtractor`` turns 8 kHz PCM into ``FrameFeatures`` for the pure
detectors in ``dialback.domain.amd`` (WebRTC's and Silero's VADs, ``voice.py``, hear
the speech); ``wavio.read_audio`` turns any PCM/G.711 WAV
file into that PCM for ``dialback amd classify``.
"""

from dialback.adapters.amd.features import FeatureExtractor
from dialback.adapters.amd.wavio import AudioFileError, decode_wav, read_audio

__all__ = ["AudioFileError", "FeatureExtractor", "decode_wav", "read_audio"]
