"""A second phrase bank for the AMD corpus, never used to train or tune anything.

The unseen corpus the product is scored on says other things than ours: other
greetings, other carrier announcements, other names. A network trained on a few
phrases per kind could learn the phrases rather than the turn-taking, and corpora
drawn from the same bank would never show it. `dialback amd corpus --phrases
heldout` draws every word from this bank instead (same kinds, same scenes, same
channel), so a held-out corpus measures how the detector does on wording it has
never heard. Nothing here overlaps `amd_corpus_text.PHRASES`.
"""

from __future__ import annotations

NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Peter", "Alice", "Thomas", "Rachel", "Daniel", "Grace", "Oliver", "Nina"),
    "ru": ("Павел", "Татьяна", "Виктор", "Светлана", "Андрей", "Юлия", "Борис"),
    "uk": ("Василь", "Галина", "Петро", "Марія", "Юрій", "Наталка", "Остап"),
}

COMPANIES: dict[str, tuple[str, ...]] = {
    "en": ("Redwood Insurance", "Lakeside Motors", "Brightpath", "Orion Print", "Delta Clinic"),
    "ru": ("Меридиан", "Лидер Авто", "Стройсервис", "Кедр", "Медцентр Здоровье"),
    "uk": ("Карпати Тур", "Лелека", "Будмайстер", "Сонях", "Медікал Плюс"),
}

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "hello": {
        "en": ("Hello there.", "Yes, hello?", "Hi there?", "Good morning.", "Uh, hello?", "Yep?"),
        "ru": ("Да-да?", "Алло, слушаю.", "Слушаю вас.", "Ну, алло?", "Здравствуйте.", "Ага?"),
        "uk": ("Так-так?", "Слухаю вас.", "Алло, слухаю.", "Добрий день.", "Ну, алло?", "Ага?"),
    },
    "hello_again": {
        "en": ("Hello? Is anybody there?", "Hello-o? I can't hear you.", "Who is it?", "Hello??"),
        "ru": ("Алло? Есть кто?", "Алло, я вас не слышу.", "Кто там?", "Алло-о?"),
        "uk": ("Алло? Є хтось?", "Алло, я вас не чую.", "Хто там?", "Алло-о?"),
    },
    "question": {
        "en": (
            "Yes, hello, can I help you?",
            "Hello, what's this about?",
            "Hi, who am I talking to?",
        ),
        "ru": (
            "Да, здравствуйте, что вы хотели?",
            "Алло, а вы по какому вопросу?",
            "Да, кто звонит?",
        ),
        "uk": (
            "Так, добрий день, що ви хотіли?",
            "Алло, а ви з якого питання?",
            "Так, хто дзвонить?",
        ),
    },
    "business": {
        "en": (
            "Hello, {company}, {name} here, what can I help you with?",
            "Good evening, you're through to {company} customer service, {name} speaking.",
            "{company} reception, good afternoon, {name} speaking, who's calling please?",
            "Hi, thanks for calling {company}, my name is {name}, how can I help?",
        ),
        "ru": (
            "Здравствуйте, {company}, менеджер {name}, слушаю вас внимательно.",
            "Добрый вечер, {company}, служба поддержки, {name}, чем могу помочь?",
            "Приёмная {company}, добрый день, {name}, представьтесь, пожалуйста.",
        ),
        "uk": (
            "Вітаю, {company}, менеджер {name}, уважно вас слухаю.",
            "Добрий вечір, {company}, служба підтримки, {name}, чим можу допомогти?",
            "Приймальня {company}, добрий день, {name}, назвіться, будь ласка.",
        ),
    },
    "aside": {
        "en": (
            "Sorry, hold on, the dog is barking, let me close the door.",
            "Just a sec, I'm driving, let me pull over.",
            "Mum, can you get the door? I'm on a call.",
        ),
        "ru": (
            "Извините, минутку, собака лает, закрою дверь.",
            "Секундочку, я за рулём, сейчас остановлюсь.",
            "Мам, открой дверь, пожалуйста, я разговариваю.",
        ),
        "uk": (
            "Вибачте, хвилинку, собака гавкає, зачиню двері.",
            "Секундочку, я за кермом, зараз зупинюся.",
            "Мам, відчини двері, будь ласка, я розмовляю.",
        ),
    },
    "chatter": {
        "en": ("Stocks closed higher today after a strong week for technology shares.",),
        "ru": ("Биржевые индексы сегодня закрылись ростом после удачной недели.",),
        "uk": ("Біржові індекси сьогодні закрилися зростанням після вдалого тижня.",),
    },
    "voicemail": {
        "en": (
            "Hey there, {name} here. I'm probably on the other line. "
            "Drop me a message and I'll ring you back.",
            "This is the mailbox of {name}. I'm out of the office until Monday. "
            "For urgent matters please call {company}.",
            "Thanks for calling {name}. Nobody can get to the phone at the moment, "
            "so record your message and have a great day.",
            "Sorry, {name} is unavailable. Record your message when you hear the signal.",
        ),
        "ru": (
            "Привет, это {name}. Я сейчас занят, наговорите сообщение, я перезвоню.",
            "Вы дозвонились до {name}. К сожалению, я не могу подойти к телефону. "
            "Пожалуйста, назовите себя и номер телефона.",
            "Добрый день, вы позвонили {name} из компании {company}. Меня нет на месте, "
            "говорите после звукового сигнала.",
        ),
        "uk": (
            "Привіт, це {name}. Я зараз зайнятий, наговоріть повідомлення, я передзвоню.",
            "Ви додзвонилися до {name}. На жаль, я не можу підійти до телефону. "
            "Будь ласка, назвіть себе і номер телефону.",
            "Добрий день, ви зателефонували {name} з компанії {company}. Мене немає на місці, "
            "говоріть після звукового сигналу.",
        ),
    },
    "short_greeting": {
        "en": ("Record your message.", "{name}, speak after the tone.", "Not here, leave a note."),
        "ru": ("Наговорите сообщение.", "Это {name}, говорите.", "Меня нет, оставьте сообщение."),
        "uk": (
            "Наговоріть повідомлення.",
            "Це {name}, говоріть.",
            "Мене немає, залиште повідомлення.",
        ),
    },
    "carrier": {
        "en": (
            "The mobile phone you are calling is switched off. Please call later.",
            "This number is temporarily unavailable. Please hang up and try your call again.",
            "All lines are busy at the moment. Please try again later.",
        ),
        "ru": (
            "Номер, который вы набрали, не существует.",
            "Вызываемый абонент не отвечает. Пожалуйста, перезвоните позже.",
            "Все линии заняты. Пожалуйста, повторите звонок позднее.",
        ),
        "uk": (
            "Номер, який ви набрали, не існує.",
            "Абонент, якому ви телефонуєте, не відповідає. Будь ласка, зателефонуйте пізніше.",
            "Усі лінії зайняті. Будь ласка, повторіть дзвінок пізніше.",
        ),
    },
    "ivr": {
        "en": (
            "You've reached {company}. All our agents are currently busy. "
            "Please stay on the line and your call will be answered shortly.",
            "Hello and welcome to {company}. To check an order, press one. "
            "To speak to an operator, press zero.",
        ),
        "ru": (
            "Вы позвонили в {company}. Все операторы сейчас заняты. "
            "Пожалуйста, оставайтесь на линии, вам обязательно ответят.",
            "Добро пожаловать в {company}. Чтобы узнать статус заказа, нажмите один. "
            "Для связи с оператором нажмите ноль.",
        ),
        "uk": (
            "Ви зателефонували до {company}. Усі оператори зараз зайняті. "
            "Будь ласка, залишайтеся на лінії, вам обов'язково дадуть відповідь.",
            "Ласкаво просимо до {company}. Щоб дізнатися статус замовлення, натисніть один. "
            "Для зв'язку з оператором натисніть нуль.",
        ),
    },
    "screening": {
        "en": (
            "Hello, before I connect you, may I ask who is calling and why?",
            "This is an automated assistant. Please tell me your name after the tone.",
        ),
        "ru": (
            "Алло, прежде чем соединить, скажите, пожалуйста, кто вы и зачем звоните.",
            "Вы говорите с автоматическим секретарём. Назовите ваше имя.",
        ),
        "uk": (
            "Алло, перш ніж з'єднати, скажіть, будь ласка, хто ви і навіщо телефонуєте.",
            "Ви розмовляєте з автоматичним секретарем. Назвіть ваше ім'я.",
        ),
    },
}
