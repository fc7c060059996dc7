"""PCM -> frame features, and WAV files -> 8 kHz PCM (the ``adapters/amd`` package)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from dialback.adapters.amd import AudioFileError, FeatureExtractor, decode_wav, read_audio
from dialback.adapters.amd.features import MODEL_SPEECH_FLOOR
from dialback.bench.amd_channel import pcm16
from dialback.bench.audio import ulaw_decode, ulaw_encode, voice_like
from dialback.domain.amd.detector import AmdParams, DialbackAmd
from dialback.domain.amd.frames import Decision, FrameFeatures

RATE = 8000


def sine(hz: float, seconds: float, amplitude: float = 8000.0, rate: int = RATE) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * hz * np.arange(round(seconds * rate)) / rate)


def features(pcm: bytes) -> list[FrameFeatures]:
    return FeatureExtractor().push(pcm)


# --- FeatureExtractor ---


def test_one_feature_per_complete_20_ms_frame_numbered_from_zero() -> None:
    out = features(bytes(320 * 7 + 100))
    assert [f.index for f in out] == list(range(7))
    assert [f.t_ms for f in out] == [0, 20, 40, 60, 80, 100, 120]


def test_partial_frames_are_buffered_across_pushes() -> None:
    pcm = pcm16(sine(1000, 0.5) + np.random.default_rng(1).normal(0, 200, 4000))
    whole = features(pcm)
    extractor = FeatureExtractor()
    pieces: list[FrameFeatures] = []
    pos = 0
    for size in [1, 7, 333, 320, 2, 641, 1000] * 10:
        pieces += extractor.push(pcm[pos : pos + size])
        pos += size
    pieces += extractor.push(pcm[pos:])
    assert pieces == whole
    assert extractor.frames_emitted == len(whole) == 25


def test_energy_is_mean_absolute_sample_value() -> None:
    square = np.tile([1000.0, -1000.0], 80)
    assert features(pcm16(square))[0].energy == 1000.0
    assert features(pcm16(np.full(160, -32768.0)))[0].energy == 32768.0  # no int16 overflow
    ramp = np.arange(-80, 80, dtype=np.float64)
    assert features(pcm16(ramp))[0].energy == pytest.approx(np.abs(ramp).mean())


def test_digital_silence_and_faint_noise_are_never_speech() -> None:
    rng = np.random.default_rng(2)
    for f in features(bytes(320 * 50)):
        assert not f.speech and f.energy == 0.0 and f.peaks == ()
    faint = pcm16(rng.normal(0, 8, 8000))  # mean |x| ~ 6, under the floor of 10
    assert not any(f.speech for f in features(faint))


def test_hiss_above_the_floor_is_never_talk_to_the_detector() -> None:
    # The VAD may call steady hiss at mean |x| ~ 12 (-68 dBFS) speech; the detector
    # judges speech against the line's own noise floor, so it hears nobody.
    hiss = features(pcm16(np.random.default_rng(2).normal(0, 15, 8000 * 6)))
    amd = DialbackAmd(AmdParams())
    verdicts = [v for f in hiss if (v := amd.push(f)) is not None] + [amd.finish()]
    assert verdicts[0].decision is Decision.NOTSURE and verdicts[0].reason == "silence"


def test_a_quiet_line_is_still_heard_as_speech() -> None:
    # A voice 30 dB under the usual level (its speech at mean |x| ~ 60, -55 dBFS).
    x = np.array(voice_like(4.0, seed=3), dtype=np.float64)
    voiced = sum(f.speech for f in features(pcm16(x)))
    quiet = pcm16(x * 10 ** (-30 / 20))
    heard = sum(f.speech for f in features(quiet))
    old_floor = sum(f.speech for f in FeatureExtractor(speech_floor=40).push(quiet))
    assert heard > 0.55 * voiced and heard > old_floor


def test_the_networks_inputs_keep_the_speech_floor_they_were_trained_with() -> None:
    # Its speech input is its own VAD over 40, whatever the timing rules' floor.
    x = np.array(voice_like(3.0, seed=4), dtype=np.float64) * 10 ** (-24 / 20)
    pcm = pcm16(x)
    extractor = FeatureExtractor(model=False, record_inputs=True)
    frames = extractor.push(pcm)
    assert extractor.inputs is not None
    heard = [bool(row[-1]) for row in extractor.inputs]
    assert not any(h and f.energy <= MODEL_SPEECH_FLOOR for h, f in zip(heard, frames, strict=True))
    assert sum(f.speech for f in frames) > sum(heard)


def test_voice_like_signal_is_mostly_speech() -> None:
    x = np.array(voice_like(4.0, seed=3), dtype=np.float64)
    out = features(pcm16(x))
    loud = [f for f in out if f.energy > 500]
    assert len(loud) > 50
    assert sum(f.speech for f in loud) / len(loud) > 0.8


def test_vad_mode_is_configurable_and_validated() -> None:
    FeatureExtractor(vad_mode=3)
    with pytest.raises(ValueError, match="vad_mode"):
        FeatureExtractor(vad_mode=4)


@pytest.mark.parametrize("hz", [400.0, 1000.0, 1437.0, 2000.0])
def test_pure_tone_has_one_peak_at_its_frequency_with_nearly_all_energy(hz: float) -> None:
    (f1, s1), *rest = features(pcm16(sine(hz, 0.2)))[-1].peaks
    s2 = rest[0][1] if rest else 0.0  # 2 kHz at 8 kHz: exact zeros off the peak, no other
    assert f1 == pytest.approx(hz, abs=2.0)
    assert s1 > 0.97 and s2 < 0.01


def test_ringback_has_two_strong_peaks_440_and_480() -> None:
    x = sine(440, 0.3) + sine(480, 0.3)
    for f in features(pcm16(x))[4:]:  # once the 64 ms spectrum window is full
        (f1, s1), (f2, s2) = f.peaks
        assert sorted([round(f1), round(f2)]) == pytest.approx([440, 480], abs=3)
        assert s1 < 0.75 and s2 > 0.25


def test_dtmf_digit_has_two_strong_peaks() -> None:
    x = sine(770, 0.2) + sine(1336, 0.2)
    (f1, s1), (f2, s2) = features(pcm16(x))[-1].peaks
    assert sorted([f1, f2]) == pytest.approx([770, 1336], abs=2.0)
    assert s1 == pytest.approx(0.5, abs=0.05) and s2 == pytest.approx(0.5, abs=0.05)


def test_quiet_frames_get_no_spectrum() -> None:
    f = features(pcm16(sine(1000, 0.1, amplitude=10.0)))[-1]
    assert f.peaks == ()


# --- WAV reading ---


def wav(
    data: bytes,
    *,
    code: int = 1,
    channels: int = 1,
    rate: int = RATE,
    bits: int = 16,
    extensible: bool = False,
    before_data: bytes = b"",
) -> bytes:
    block = channels * ((bits + 7) // 8)
    fmt = struct.pack("<HHIIHH", 0xFFFE if extensible else code, channels, rate, rate * block,
                      block, bits)  # fmt: skip
    if extensible:
        guid_tail = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", code) + guid_tail
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + before_data
    body += b"data" + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def as_int16(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def test_8khz_16_bit_mono_comes_back_unchanged(tmp_path: Path) -> None:
    pcm = pcm16(sine(700, 0.3) + np.random.default_rng(3).normal(0, 500, 2400))
    path = tmp_path / "a.wav"
    path.write_bytes(wav(pcm))
    assert read_audio(path) == pcm


def test_mulaw_wav_decodes_as_g711() -> None:
    samples = pcm16(sine(500, 0.1, amplitude=20000.0))
    encoded = ulaw_encode(np.frombuffer(samples, dtype="<i2").tolist())
    assert decode_wav(wav(encoded, code=7, bits=8)) == ulaw_decode(encoded).tobytes()


def test_alaw_wav_decodes_as_g711() -> None:
    # ITU-T G.711 A-law: 0xD5 is +8, 0x55 is -8, 0xAA is +32256, 0x2A is -32256.
    out = as_int16(decode_wav(wav(bytes([0xD5, 0x55, 0xAA, 0x2A]), code=6, bits=8)))
    assert out.tolist() == [8.0, -8.0, 32256.0, -32256.0]


@pytest.mark.parametrize("bits", [8, 24, 32])
def test_other_pcm_widths_match_16_bit(bits: int) -> None:
    x = sine(900, 0.1, amplitude=12000.0)
    if bits == 8:
        data = (np.rint(x / 256) + 128).astype(np.uint8).tobytes()
    elif bits == 24:
        v = np.rint(x * 256).astype("<i4").tobytes()
        data = b"".join(v[i : i + 3] for i in range(0, len(v), 4))
    else:
        data = np.rint(x * 65536).astype("<i4").tobytes()
    out = as_int16(decode_wav(wav(data, bits=bits)))
    assert np.max(np.abs(out - np.rint(x))) <= (128 if bits == 8 else 1)


def test_float_wav_is_scaled_to_16_bit() -> None:
    x = (sine(900, 0.05, amplitude=0.5)).astype("<f4").tobytes()
    out = as_int16(decode_wav(wav(x, code=3, bits=32)))
    assert np.max(np.abs(out)) == pytest.approx(16384, abs=2)


def test_wave_format_extensible_is_read_by_its_subformat() -> None:
    pcm = pcm16(sine(600, 0.1))
    assert decode_wav(wav(pcm, extensible=True)) == pcm


def test_stereo_44_1_khz_becomes_8_khz_mono_with_the_tone_kept() -> None:
    left = sine(1000, 1.0, amplitude=10000.0, rate=44100)
    stereo = np.stack([left, np.zeros_like(left)], axis=1).reshape(-1)
    out = as_int16(decode_wav(wav(pcm16(stereo), channels=2, rate=44100)))
    assert len(out) == RATE
    middle = out[1000:7000]
    expected_rms = 5000 / np.sqrt(2)  # the average of the tone and a silent channel
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(expected_rms, rel=0.01)
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
    assert np.argmax(spectrum) * RATE / len(middle) == pytest.approx(1000, abs=2)


def test_resampling_removes_what_8_khz_cannot_carry() -> None:
    x = sine(6000, 1.0, amplitude=10000.0, rate=48000)  # would alias to 2 kHz
    out = as_int16(decode_wav(wav(pcm16(x), rate=48000)))
    assert np.sqrt(np.mean(out[500:-500] ** 2)) < 10000 / np.sqrt(2) * 0.01  # < -40 dB


@pytest.mark.parametrize("rate", [4000, 11025, 16000, 22050, 32000, 48000, 96000])
def test_any_sample_rate_gives_8_khz(rate: int) -> None:
    x = sine(440, 0.5, rate=rate)
    out = as_int16(decode_wav(wav(pcm16(x), rate=rate)))
    assert len(out) == len(x) * RATE // rate
    (hz, share), _ = features(out.astype("<i2").tobytes())[-5].peaks
    assert hz == pytest.approx(440, abs=2) and share > 0.95


def test_odd_sized_chunks_before_data_are_skipped() -> None:
    pcm = pcm16(sine(600, 0.05))
    junk = b"LIST" + struct.pack("<I", 5) + b"abcde" + b"\x00"  # padded to even length
    assert decode_wav(wav(pcm, before_data=junk)) == pcm


def test_data_cut_short_keeps_the_whole_samples_there_are() -> None:
    pcm = pcm16(sine(600, 0.05))
    cut = wav(pcm)[:-101]  # the data chunk claims more than the file holds
    assert decode_wav(cut) == pcm[: len(pcm) - 102]


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "empty file"),
        (b"ID3\x03\x00" + bytes(200), r"not a WAV file \(no RIFF header\)"),
        (b"RIFF" + struct.pack("<I", 4) + b"AVI ", "not a WAV file"),
        (b"RIFF" + struct.pack("<I", 4) + b"WAVE", "WAV has no fmt chunk"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00", "truncated fmt chunk"),
        (wav(b"\x00\x00")[: 12 + 8 + 16], "WAV has no data chunk"),
        (wav(bytes(100), code=85, bits=0), r"unsupported WAV encoding 85 \(MPEG\)"),
        (wav(bytes(100), code=2, bits=4), r"unsupported WAV encoding 2 \(Microsoft ADPCM\)"),
        (wav(bytes(100), code=49, bits=0), r"unsupported WAV encoding 49 \(GSM 6.10\)"),
        (wav(b""), "WAV has no audio"),
        (wav(bytes(100), bits=12 * 8), "unsupported PCM sample width"),
        (wav(bytes(100), channels=0), "0 channels"),
    ],
)
def test_bad_files_raise_a_clear_audio_file_error(blob: bytes, message: str) -> None:
    with pytest.raises(AudioFileError, match=message):
        decode_wav(blob)


def test_unreadable_path_is_an_audio_file_error_and_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="cannot read file"):
        read_audio(tmp_path / "missing.wav")
    with pytest.raises(ValueError):
        read_audio(tmp_path)  # a directory
