"""What the AMD corpus says, and when: phrase banks and the script of every slice.

Phrases per kind and language (en, ru, uk); `{name}` and `{company}` are filled from
per-language lists so greetings vary. A slice's script lays out one answered call on
a `Scene`: pauses, utterances, the end beep, beds of music or street noise. The
generator (`amd_corpus`) renders scenes and sends them down the telephone channel.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from dialback.bench import amd_channel as ch
from dialback.bench import amd_phrases_forms as forms
from dialback.bench import amd_phrases_heldout as heldout
from dialback.bench import amd_phrases_varied as varied
from dialback.bench import amd_phrases_wide as wide

Label = Literal["HUMAN", "MACHINE"]

NAMES = {
    "en": ("John", "Maria", "David", "Sarah", "Michael", "Emma", "Robert", "Linda", "Kevin"),
    "ru": ("Иван", "Мария", "Алексей", "Ольга", "Дмитрий", "Наталья", "Сергей", "Елена"),
    "uk": ("Олена", "Тарас", "Андрій", "Оксана", "Богдан", "Ірина", "Микола", "Софія"),
}

COMPANIES = {
    "en": ("Acme", "Northwind", "Globex", "Bluebird Dental", "Summit Realty", "Pine Logistics"),
    "ru": ("Ромашка", "Вектор", "Альфа Строй", "Северный ветер", "Горизонт"),
    "uk": ("Світанок", "Київ Трейд", "Калина", "Дніпро Логістик", "Смарт Буд"),
}

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    # a person picking up
    "hello": {
        "en": ("Hello?", "Hello.", "Yes?", "Hi.", "Yeah?", "Hello, yes?", "Speaking.", "Hey."),
        "ru": ("Алло?", "Алло.", "Да?", "Слушаю.", "Да, слушаю.", "Алло, да.", "Говорите."),
        "uk": ("Алло?", "Слухаю.", "Так, слухаю.", "Так?", "Алло, так.", "Алло?"),
    },
    "hello_again": {
        "en": ("Hello?", "Hello? Anyone there?", "Hello, can you hear me?", "Hello-o?"),
        "ru": ("Алло?", "Алло? Вас не слышно.", "Алло, говорите!", "Алло? Кто это?"),
        "uk": ("Алло?", "Алло? Вас не чути.", "Алло, говоріть!", "Алло? Хто це?"),
    },
    "question": {
        "en": ("Hello, who's calling?", "Yes, hello, who is this?", "Hi, yes, go ahead."),
        "ru": ("Алло, кто это?", "Да, здравствуйте, слушаю вас.", "Алло, кто говорит?"),
        "uk": ("Алло, хто це?", "Так, добрий день, слухаю вас.", "Алло, хто говорить?"),
    },
    # a person answering their desk: long, polite, and still a human (hard case)
    "business": {
        "en": (
            "Good afternoon, {company} sales, this is {name}, how can I help you?",
            "{company}, {name} speaking, how may I help you today?",
            "Thank you for calling {company}, this is {name}, what can I do for you?",
            "Good morning, {company} front desk, {name} speaking.",
        ),
        "ru": (
            "Добрый день, компания {company}, меня зовут {name}, чем могу помочь?",
            "{company}, отдел продаж, {name}, слушаю вас.",
            "Здравствуйте, {company}, {name} на связи, чем могу помочь?",
        ),
        "uk": (
            "Добрий день, компанія {company}, мене звати {name}, чим можу допомогти?",
            "{company}, відділ продажу, {name}, слухаю вас.",
            "Вітаю, {company}, {name} на зв'язку, чим можу допомогти?",
        ),
    },
    # a person turning away to talk to someone in the room
    "aside": {
        "en": (
            "Hang on, just put it on the table, I'll be there in a minute.",
            "Wait, can you turn that down? Thanks.",
            "Kids, quiet please, I'm on the phone.",
            "One second, honey, it's the phone, I'll be right back.",
        ),
        "ru": (
            "Подожди, положи на стол, я сейчас подойду.",
            "Тише, пожалуйста, я по телефону разговариваю.",
            "Секунду, выключи телевизор, ничего не слышно.",
        ),
        "uk": (
            "Зачекай, поклади на стіл, я зараз підійду.",
            "Тихіше, будь ласка, я розмовляю по телефону.",
            "Секунду, вимкни телевізор, нічого не чути.",
        ),
    },
    "chatter": {  # what the television says in the background
        "en": ("And now the weather for the weekend, with sunshine expected in the north.",),
        "ru": ("А теперь о погоде на выходные: на севере ожидается солнечная погода.",),
        "uk": ("А тепер про погоду на вихідні: на півночі очікується сонячна погода.",),
    },
    # personal voicemail greetings, 3-8 s
    "voicemail": {
        "en": (
            "Hi, you've reached {name}. I can't take your call right now, "
            "please leave a message after the tone.",
            "Hello, this is {name}. Sorry I missed your call. "
            "Leave your name and number and I'll get back to you.",
            "Hey, it's {name}, I'm not available right now. Leave a message.",
            "You have reached the voicemail of {name} at {company}. "
            "Please leave a message after the beep.",
            "Hi, this is {name}, I'm away from my desk. Please leave a message.",
        ),
        "ru": (
            "Здравствуйте, это {name}. Сейчас я не могу ответить, "
            "оставьте сообщение после сигнала.",
            "Привет, это {name}. Оставьте сообщение, и я вам перезвоню.",
            "Вы позвонили в компанию {company}. Сейчас никто не может ответить, "
            "оставьте, пожалуйста, сообщение.",
        ),
        "uk": (
            "Вітаю, це {name}. Зараз я не можу відповісти, залиште повідомлення після сигналу.",
            "Привіт, це {name}. Залиште повідомлення, і я вам передзвоню.",
            "Ви зателефонували до компанії {company}. Зараз ніхто не може відповісти, "
            "залиште, будь ласка, повідомлення.",
        ),
    },
    # terse greetings, 1.2-2 s, then a beep (hard case)
    "short_greeting": {
        "en": ("Leave a message.", "Please leave a message.", "{name}. Leave a message."),
        "ru": ("Оставьте сообщение.", "Говорите после сигнала.", "{name}, оставьте сообщение."),
        "uk": ("Залиште повідомлення.", "Говоріть після сигналу.", "{name}, залиште повідомлення."),
    },
    "carrier": {
        "en": (
            "The subscriber you are calling is not available. Please try again later.",
            "The number you have dialed is not in service. Please check the number and dial again.",
            "The person you are calling cannot be reached at the moment. Please try again later.",
            "We're sorry, your call cannot be completed as dialed.",
        ),
        "ru": (
            "Абонент временно недоступен. Попробуйте позвонить позднее.",
            "Аппарат абонента выключен или находится вне зоны действия сети.",
            "Неправильно набран номер. Проверьте номер и перезвоните.",
        ),
        "uk": (
            "Абонент тимчасово недоступний. Спробуйте зателефонувати пізніше.",
            "Телефон абонента вимкнений або перебуває поза зоною досяжності мережі.",
            "Номер набрано неправильно. Перевірте номер і перетелефонуйте.",
        ),
    },
    "ivr": {
        "en": (
            "Thank you for calling {company}. For sales, press one. For support, press two. "
            "For billing, press three.",
            "Welcome to {company}. Your call is important to us. "
            "Please listen carefully, as our menu options have changed.",
        ),
        "ru": (
            "Вас приветствует компания {company}. Для связи с отделом продаж нажмите один. "
            "Для технической поддержки нажмите два.",
            "Здравствуйте! Вы позвонили в компанию {company}. Ваш звонок очень важен для нас, "
            "оставайтесь на линии.",
        ),
        "uk": (
            "Вас вітає компанія {company}. Для зв'язку з відділом продажу натисніть один. "
            "Для технічної підтримки натисніть два.",
            "Добрий день! Ви зателефонували до компанії {company}. Ваш дзвінок дуже важливий "
            "для нас, залишайтеся на лінії.",
        ),
    },
    "screening": {
        "en": (
            "Hi, the person you're calling is using a screening service. "
            "Please say your name and why you're calling.",
            "Hello, this call is being screened. Please state your name and the reason "
            "for your call.",
            "Hi, I'm an assistant for {name}. Who's calling, and what is it about?",
        ),
        "ru": (
            "Здравствуйте, я голосовой помощник. Представьтесь, пожалуйста, "
            "и скажите, по какому вы вопросу.",
            "Здравствуйте, абонент использует автоответчик. Назовите себя и цель звонка.",
        ),
        "uk": (
            "Вітаю, я голосовий помічник. Назвіться, будь ласка, і скажіть, з якого ви питання.",
            "Вітаю, абонент використовує автовідповідач. Назвіть себе і мету дзвінка.",
        ),
    },
}


def _pick(
    phrases: dict[str, dict[str, tuple[str, ...]]],
    names: dict[str, tuple[str, ...]],
    companies: dict[str, tuple[str, ...]],
) -> Callable[[str, str, random.Random], str]:
    def pick(kind: str, language: str, rng: random.Random) -> str:
        template = rng.choice(phrases[kind][language])
        return template.format(
            name=rng.choice(names[language]), company=rng.choice(companies[language])
        )

    return pick


# Where a corpus's words come from. "train": the sentences above, which the corpora
# up to seed 83 say; "wide": sentences composed from parts (amd_phrases_wide), so a
# network learns how a call sounds rather than the sentences; "rich": the wide
# grammar and further sentence shapes for some kinds (amd_phrases_forms); "varied":
# those and still more shapes and names for every kind (amd_phrases_varied);
# "heldout": other sentences for every kind (amd_phrases_heldout), never used to
# train or tune.
PHRASE_BANKS: dict[str, Callable[[str, str, random.Random], str]] = {
    "train": _pick(PHRASES, NAMES, COMPANIES),
    "wide": wide.compose,
    "rich": forms.compose,
    "varied": varied.compose,
    "heldout": _pick(heldout.PHRASES, heldout.NAMES, heldout.COMPANIES),
}


def phrase(kind: str, language: str, rng: random.Random, bank: str = "train") -> str:
    """One phrase of `kind` in `language` from phrase bank `bank` (PHRASE_BANKS),
    with a name and a company filled in."""
    return PHRASE_BANKS[bank](kind, language, rng)


# --- scenes ---


@dataclass
class Scene:
    """A call's sound before the channel: foreground parts at sample offsets, beds
    (music, street, television) under them, and what the labels need to know."""

    rng: random.Random
    language: str
    level: float  # active RMS of the answering party's speech, 16-bit scale
    voice: ch.Voice
    family: str = "espeak"  # where voices come from, see amd_channel.VOICE_FAMILIES
    bank: str = "train"  # which phrase bank the words come from, see PHRASE_BANKS
    pos: int = 0
    parts: list[tuple[int, ch.Signal]] = field(default_factory=list)
    beds: list[tuple[int, int | None, str, float]] = field(default_factory=list)
    speech_start: int | None = None
    beep: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)  # extra channel description

    def pause(self, low: float, high: float) -> None:
        self.pos += ch.samples(self.rng.uniform(low, high))

    def say(
        self,
        kind: str,
        *,
        gain_db: float = 0.0,
        language: str | None = None,
        min_s: float = 0.0,
        max_s: float = math.inf,
    ) -> None:
        """Speak a phrase of `kind`, stretched by the speaking rate into [min_s, max_s]."""
        language = language or self.language
        if language == self.language:
            voice = self.voice
        else:
            voice = ch.Voice.draw(self.rng, language, self.family)
        text = phrase(kind, language, self.rng, self.bank)
        x = ch.synthesize(text, voice)
        seconds = len(x) / ch.RATE
        if seconds > max_s or seconds < min_s:
            target = max_s * 0.97 if seconds > max_s else min_s * 1.03
            speed = round(voice.speed * seconds / target)
            x = ch.synthesize(text, voice.with_speed(min(max(speed, 80), 320)))
            seconds = len(x) / ch.RATE
            if ":" in voice.name and not min_s * 0.95 <= seconds <= max_s * 1.05:
                # festival's unit-selection voices ignore the duration stretch
                x = ch.tempo(x, seconds / target)
        if self.speech_start is None:
            self.speech_start = self.pos
        self.place(x * self.level * ch.db(gain_db))

    def place(self, x: ch.Signal) -> None:
        self.parts.append((self.pos, x))
        self.pos += len(x)

    def end_beep(self) -> None:
        """The tone that ends a greeting: one steady sine, 400-2000 Hz, 150-600 ms."""
        freq = self.rng.randint(400, 2000)
        x = ch.tone(freq, self.rng.uniform(0.15, 0.6), self.level * ch.db(self.rng.uniform(-4, 4)))
        self.beep = (self.pos, self.pos + len(x))
        self.place(x)

    def bed(self, kind: str, rel_db: float, start: int = 0, end: int | None = None) -> None:
        self.beds.append((start, end, kind, rel_db))
        self.notes.append(f"bed-{kind}")

    def maybe_bed(self, share: float, kinds: Sequence[str]) -> None:
        """Now and then a recording with a room behind it (both classes get these)."""
        if self.rng.random() < share:
            self.bed(self.rng.choice(kinds), self.rng.uniform(-18, -10))


def _hello(s: Scene) -> None:
    s.maybe_bed(0.1, ("tv", "street", "music"))
    s.pause(0.1, 0.8)
    s.say("hello", min_s=0.3)
    s.pause(2.0, 5.0)  # a person waits for the caller to answer


def _repeated_hello(s: Scene) -> None:
    s.pause(0.1, 0.8)
    s.say("hello")
    s.pause(1.0, 2.0)
    s.say("hello_again")
    s.pause(2.0, 4.0)


def _business_greeting(s: Scene) -> None:
    s.maybe_bed(0.1, ("street", "music"))
    s.pause(0.1, 0.6)
    s.say("business", min_s=2.0, max_s=s.rng.uniform(2.8, 4.0))  # long, and a person: HUMAN
    s.pause(2.0, 4.0)


def _silent_pickup(s: Scene) -> None:
    s.pause(2.5, 4.5)
    s.say("hello_again")
    s.pause(1.5, 3.0)


def _background(s: Scene) -> None:
    s.bed(s.rng.choice(("tv", "music", "street")), s.rng.uniform(-14, -6))
    s.pause(0.2, 1.0)
    s.say(s.rng.choice(("hello", "question")))
    s.pause(2.0, 4.0)


def _aside(s: Scene) -> None:
    s.pause(0.1, 0.6)
    s.say("hello")
    s.pause(0.3, 1.0)
    s.say("aside", gain_db=s.rng.uniform(-8, -3), max_s=3.0)  # turned away from the phone
    s.pause(0.5, 1.5)
    if s.rng.random() < 0.5:
        s.say("question")
    s.pause(1.0, 2.5)


def _voicemail_beep(s: Scene) -> None:
    _greeting(s, "voicemail", lead=(0.05, 0.5), max_s=7.5, beep=True)  # beep within 10 s


def _voicemail_nobeep(s: Scene) -> None:
    _greeting(s, "voicemail", lead=(0.05, 0.5), max_s=8.0, beep=False)


def _short_greeting(s: Scene) -> None:
    _greeting(s, "short_greeting", lead=(0.05, 0.5), max_s=2.0, beep=True)


def _silence_then_greeting(s: Scene) -> None:
    _greeting(s, "voicemail", lead=(1.5, 3.0), max_s=5.0, beep=s.rng.random() < 0.6)


def _greeting(s: Scene, kind: str, *, lead: tuple[float, float], max_s: float, beep: bool) -> None:
    s.pause(*lead)
    start = s.pos
    s.say(kind, min_s=1.2, max_s=max_s)
    if s.rng.random() < 0.12:  # recorded with music or a street behind it
        s.bed(s.rng.choice(("music", "street")), s.rng.uniform(-16, -8), start, s.pos)
    if beep:
        s.pause(0.2, 0.9)
        s.end_beep()
        s.pause(0.5, 2.0)
    else:
        s.pause(1.0, 3.0)


def _carrier(s: Scene) -> None:
    if s.rng.random() < 0.5:
        s.pause(1.0, 3.0)  # the network takes its time
    else:
        s.pause(0.05, 0.3)
    if s.rng.random() < 0.35:
        s.place(ch.special_information_tone(s.level * ch.db(s.rng.uniform(-6, 0))))
        s.notes.append("sit")
    s.say("carrier")
    if s.language != "en" and s.rng.random() < 0.4:
        s.pause(0.3, 0.8)
        s.say("carrier", language="en")  # many carriers repeat it in English
    s.pause(0.5, 1.5)


def _ivr(s: Scene) -> None:
    s.bed("music", s.rng.uniform(-10, -4))  # hold music from the first frame
    s.pause(0.5, 2.0)
    s.say("ivr")
    s.pause(0.5, 1.0)


def _screening(s: Scene) -> None:
    s.pause(0.1, 0.6)
    s.say("screening")
    s.pause(1.5, 3.0)


@dataclass(frozen=True)
class Slice:
    label: Label
    weight: int  # share in percent
    build: Callable[[Scene], None]


SLICES: dict[str, Slice] = {
    "hello": Slice("HUMAN", 9, _hello),
    "repeated_hello": Slice("HUMAN", 7, _repeated_hello),
    "business_greeting": Slice("HUMAN", 10, _business_greeting),
    "silent_pickup": Slice("HUMAN", 8, _silent_pickup),
    "background": Slice("HUMAN", 8, _background),
    "aside": Slice("HUMAN", 8, _aside),
    "voicemail_beep": Slice("MACHINE", 10, _voicemail_beep),
    "voicemail_nobeep": Slice("MACHINE", 7, _voicemail_nobeep),
    "short_greeting": Slice("MACHINE", 9, _short_greeting),
    "carrier": Slice("MACHINE", 7, _carrier),
    "ivr": Slice("MACHINE", 6, _ivr),
    "silence_then_greeting": Slice("MACHINE", 6, _silence_then_greeting),
    "screening": Slice("MACHINE", 5, _screening),
}
