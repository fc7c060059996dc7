"""The wide phrase bank: sentences composed from parts, so a network cannot learn them.

`amd_corpus_text.PHRASES` has three to eight sentences per kind; a network trained
on thousands of clips of them learns the sentences (measured: on the held-out bank
of `amd_phrases_heldout`, the first network trained so called 6.7 % of people
MACHINE). Here every kind is a grammar -- slots of alternatives, some empty --
giving thousands of sentences per kind and language, so what a network can learn
is how people and machines talk, not what they say. Written without the held-out
bank's sentences, which stay unheard.
"""

from __future__ import annotations

import random
import re

Slots = tuple[tuple[str, ...], ...]

NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "Anna",
        "Mark",
        "Lucy",
        "James",
        "Sophie",
        "Chris",
        "Helen",
        "Sam",
        "Laura",
        "Ben",
        "Kate",
        "Adam",
        "Julia",
        "Steve",
        "Mia",
        "Tony",
    ),
    "ru": (
        "Анна",
        "Михаил",
        "Ирина",
        "Николай",
        "Екатерина",
        "Роман",
        "Людмила",
        "Артём",
        "Галина",
        "Владимир",
        "Ксения",
        "Игорь",
        "Дарья",
        "Олег",
    ),
    "uk": (
        "Ганна",
        "Михайло",
        "Ірина",
        "Дмитро",
        "Катерина",
        "Роман",
        "Людмила",
        "Артем",
        "Оля",
        "Володимир",
        "Христина",
        "Ігор",
        "Дарина",
        "Олег",
    ),
}

COMPANIES: dict[str, tuple[str, ...]] = {
    "en": (
        "Greenfield",
        "Apex Solutions",
        "City Dental",
        "Harbor Homes",
        "Metro Cars",
        "Sunrise Travel",
        "Maple Legal",
        "Blue Ocean",
        "Fastnet",
        "Silver Star",
    ),
    "ru": (
        "Универсал",
        "Стандарт",
        "Техносфера",
        "Гарант",
        "Престиж",
        "Импульс",
        "Восток",
        "Энергия",
        "Мир Окон",
        "Фортуна",
    ),
    "uk": (
        "Універсал",
        "Стандарт",
        "Техносвіт",
        "Гарант",
        "Престиж",
        "Імпульс",
        "Схід",
        "Енергія",
        "Світ Вікон",
        "Фортуна",
    ),
}

E = ""  # an empty alternative: the slot is skipped

GRAMMAR: dict[str, dict[str, Slots]] = {
    "hello": {
        "en": (
            ("Hello", "Hi", "Yes", "Hey", "Yeah", "Morning", "Hello hello", "Allo"),
            ("?", ".", ", yes?", ", who's this?", ", hi.", "!"),
        ),
        "ru": (
            ("Алло", "Да", "Слушаю", "Алё", "Здравствуйте", "Да, алло", "Привет"),
            ("?", ".", ", слушаю.", ", да?", "!", ", кто это?"),
        ),
        "uk": (
            ("Алло", "Так", "Слухаю", "Алё", "Добрий день", "Так, алло", "Привіт"),
            ("?", ".", ", слухаю.", ", так?", "!", ", хто це?"),
        ),
    },
    "hello_again": {
        "en": (
            ("Hello?", "Hello hello?", "Hey?", "Hi?", "Yes?"),
            (
                E,
                "Anyone?",
                "Are you there?",
                "I can't hear a thing.",
                "Speak up, please.",
                "You're breaking up.",
            ),
        ),
        "ru": (
            ("Алло?", "Алло, алло?", "Алё?", "Да?"),
            (
                E,
                "Кто-нибудь?",
                "Вы меня слышите?",
                "Ничего не слышно.",
                "Говорите громче.",
                "Вы пропадаете.",
            ),
        ),
        "uk": (
            ("Алло?", "Алло, алло?", "Алё?", "Так?"),
            (
                E,
                "Хто-небудь?",
                "Ви мене чуєте?",
                "Нічого не чути.",
                "Говоріть голосніше.",
                "Ви зникаєте.",
            ),
        ),
    },
    "question": {
        "en": (
            ("Yes,", "Hello,", "Hi,", "Yeah,"),
            (E, "sorry,", "hello,"),
            (
                "who is calling?",
                "what is it?",
                "who's there?",
                "how can I help?",
                "what do you need?",
                "who am I speaking with?",
            ),
        ),
        "ru": (
            ("Да,", "Алло,", "Здравствуйте,"),
            (E, "извините,", "да,"),
            ("кто мне звонит?", "что случилось?", "я слушаю.", "чем помочь?", "кто это говорит?"),
        ),
        "uk": (
            ("Так,", "Алло,", "Доброго дня,"),
            (E, "вибачте,", "так,"),
            (
                "хто мені дзвонить?",
                "що сталося?",
                "я слухаю.",
                "чим допомогти?",
                "хто це говорить?",
            ),
        ),
    },
    "business": {
        "en": (
            ("Good morning,", "Good afternoon,", "Hello,", "Hi,", E),
            (
                "{company},",
                "thanks for calling {company},",
                "this is {company},",
                "{company} office,",
            ),
            (E, "accounts,", "bookings,", "the service desk,", "sales department,"),
            (
                "{name} speaking,",
                "you're speaking with {name},",
                "{name} here,",
                "my name's {name},",
            ),
            (
                "how can I help?",
                "what can I do for you?",
                "how may I help you?",
                "go ahead.",
                "who am I speaking to?",
            ),
        ),
        "ru": (
            ("Добрый день,", "Доброе утро,", "Здравствуйте,", E),
            ("компания {company},", "{company},", "офис {company},", "фирма {company},"),
            (E, "бухгалтерия,", "отдел продаж,", "сервисный центр,", "бронирование,"),
            ("{name},", "меня зовут {name},", "на связи {name},", "это {name},"),
            (
                "чем могу помочь?",
                "слушаю вас.",
                "я вас слушаю.",
                "что вас интересует?",
                "как к вам обращаться?",
            ),
        ),
        "uk": (
            ("Добрий день,", "Доброго ранку,", "Вітаю,", E),
            ("компанія {company},", "{company},", "офіс {company},", "фірма {company},"),
            (E, "бухгалтерія,", "відділ продажу,", "сервісний центр,", "бронювання,"),
            ("{name},", "мене звати {name},", "на зв'язку {name},", "це {name},"),
            (
                "чим можу допомогти?",
                "слухаю вас.",
                "я вас слухаю.",
                "що вас цікавить?",
                "як до вас звертатися?",
            ),
        ),
    },
    "aside": {
        "en": (
            ("Hold on,", "Wait,", "Sorry,", "Just a minute,", "One moment,"),
            (
                "the kettle's boiling,",
                "someone's at the door,",
                "let me find a pen,",
                "turn the radio off,",
                "I'm in the shop,",
                "let me go outside,",
            ),
            (E, "I'll be right there.", "give me a second.", "okay?", "thanks."),
        ),
        "ru": (
            ("Подожди,", "Секунду,", "Извините,", "Минутку,", "Погоди,"),
            (
                "чайник кипит,",
                "в дверь звонят,",
                "найду ручку,",
                "выключи радио,",
                "я в магазине,",
                "выйду на улицу,",
            ),
            (E, "сейчас подойду.", "одну секунду.", "хорошо?", "спасибо."),
        ),
        "uk": (
            ("Зачекай,", "Секунду,", "Вибачте,", "Хвилинку,", "Стривай,"),
            (
                "чайник кипить,",
                "у двері дзвонять,",
                "знайду ручку,",
                "вимкни радіо,",
                "я в магазині,",
                "вийду на вулицю,",
            ),
            (E, "зараз підійду.", "одну секунду.", "добре?", "дякую."),
        ),
    },
    "chatter": {
        "en": (
            ("In sports tonight,", "Turning to the news,", "Back to our story,", "And finally,"),
            (
                "the city council met to discuss the new bridge",
                "the home team won the cup after extra time",
                "traffic is heavy on the main roads this evening",
            ),
            (", more after the break.", ", our reporter has the details.", "."),
        ),
        "ru": (
            ("В спортивных новостях:", "К новостям:", "И напоследок:", "Продолжаем эфир:"),
            (
                "городской совет обсудил строительство моста",
                "местная команда выиграла кубок в дополнительное время",
                "на дорогах города сегодня большие пробки",
            ),
            (", подробности после рекламы.", ", с места событий наш корреспондент.", "."),
        ),
        "uk": (
            ("У спортивних новинах:", "До новин:", "І наостанок:", "Продовжуємо ефір:"),
            (
                "міська рада обговорила будівництво мосту",
                "місцева команда виграла кубок у додатковий час",
                "на дорогах міста сьогодні великі затори",
            ),
            (", подробиці після реклами.", ", з місця подій наш кореспондент.", "."),
        ),
    },
    "voicemail": {
        "en": (
            ("Hi,", "Hello,", "Hey,", "Good day,", E),
            (
                "you've called {name}.",
                "this is {name}.",
                "it's {name}.",
                "you have reached {name} at {company}.",
                "{name}'s phone.",
            ),
            (
                "I can't answer right now.",
                "I'm not at my phone.",
                "I'm busy at the moment.",
                "I'm on holiday this week.",
                "Sorry I couldn't pick up.",
                E,
            ),
            (
                "Please leave a short message",
                "Leave your details",
                "Leave me a voice message",
                "Tell me who's calling",
                "Please say your name and number",
            ),
            (
                "and I'll call you back.",
                "after the beep.",
                "and I'll return your call soon.",
                "and I'll get back to you.",
                "after the signal. Thank you.",
            ),
            (E, "Bye!", "Thanks!", "Have a nice day."),
        ),
        "ru": (
            ("Здравствуйте,", "Привет,", "Добрый день,", E),
            (
                "вы позвонили {name}.",
                "это {name}.",
                "вы позвонили в {company}.",
                "на связи автоответчик.",
            ),
            (
                "Я не могу сейчас ответить.",
                "Я сейчас не у телефона.",
                "Я в отпуске.",
                "Я перезвоню, как только смогу.",
                E,
            ),
            (
                "Оставьте короткое сообщение",
                "Оставьте свои контакты",
                "Оставьте голосовое сообщение",
                "Назовите себя и свой номер",
            ),
            (
                "после сигнала.",
                "и я вам перезвоню.",
                "и я свяжусь с вами.",
                "после гудка. Спасибо.",
            ),
            (E, "Всего доброго!", "Спасибо!", "Хорошего дня."),
        ),
        "uk": (
            ("Вітаю,", "Привіт,", "Доброго дня,", E),
            (
                "ви зателефонували {name}.",
                "це {name}.",
                "ви зателефонували до {company}.",
                "на зв'язку автовідповідач.",
            ),
            (
                "Я не можу зараз відповісти.",
                "Я зараз не біля телефону.",
                "Я у відпустці.",
                "Я передзвоню, щойно зможу.",
                E,
            ),
            (
                "Залиште коротке повідомлення",
                "Залиште свої контакти",
                "Залиште голосове повідомлення",
                "Назвіть себе і свій номер",
            ),
            (
                "після сигналу.",
                "і я вам передзвоню.",
                "і я зв'яжуся з вами.",
                "після гудка. Дякую.",
            ),
            (E, "Всього доброго!", "Дякую!", "Гарного дня."),
        ),
    },
    "short_greeting": {
        "en": (
            (E, "{name}.", "Hi.", "Hello."),
            (
                "Leave a message.",
                "Message after the beep.",
                "Call you back.",
                "Leave your number.",
                "Speak after the beep.",
                "Away. Leave a message.",
            ),
        ),
        "ru": (
            (E, "{name}.", "Привет.", "Алло."),
            (
                "Оставьте сообщение.",
                "Сообщение после сигнала.",
                "Перезвоню.",
                "Оставьте номер.",
                "Говорите после гудка.",
            ),
        ),
        "uk": (
            (E, "{name}.", "Привіт.", "Алло."),
            (
                "Залиште повідомлення.",
                "Повідомлення після сигналу.",
                "Передзвоню.",
                "Залиште номер.",
                "Говоріть після гудка.",
            ),
        ),
    },
    "carrier": {
        "en": (
            ("We're sorry,", "Sorry,", E),
            (
                "the number you dialed",
                "the customer you are calling",
                "the person you called",
                "the subscriber",
            ),
            (
                "is not reachable",
                "is unavailable",
                "cannot take your call",
                "is on another call",
                "does not answer",
            ),
            ("at this time.", "right now.", "."),
            (E, "Please try again later.", "Please call back later.", "Please check the number."),
        ),
        "ru": (
            (E, "Извините,"),
            ("номер, по которому вы звоните,", "абонент", "вызываемый номер", "телефон абонента"),
            ("недоступен", "не отвечает", "занят", "выключен"),
            ("в данный момент.", "сейчас.", "."),
            (E, "Перезвоните позже.", "Попробуйте позднее.", "Проверьте правильность номера."),
        ),
        "uk": (
            (E, "Вибачте,"),
            ("номер, на який ви телефонуєте,", "абонент", "викликаний номер", "телефон абонента"),
            ("недоступний", "не відповідає", "зайнятий", "вимкнений"),
            ("в даний момент.", "зараз.", "."),
            (E, "Зателефонуйте пізніше.", "Спробуйте пізніше.", "Перевірте правильність номера."),
        ),
    },
    "ivr": {
        "en": (
            (
                "Welcome to {company}.",
                "Thank you for calling {company}.",
                "Hello, this is {company}.",
            ),
            (
                "Calls may be recorded for training.",
                "Our opening hours have changed.",
                "Please hold.",
                E,
            ),
            (
                "For new orders, press one.",
                "For returns, press two.",
                "To reach reception, press nine.",
                "Please hold for the next available agent.",
                "Please choose from the following options.",
            ),
        ),
        "ru": (
            (
                "Вас приветствует {company}.",
                "Спасибо за звонок в {company}.",
                "Здравствуйте, это {company}.",
                "Вы позвонили в справочную {company}.",
            ),
            (
                "Разговор может быть записан.",
                "Изменился график работы.",
                "Пожалуйста, подождите.",
                E,
            ),
            (
                "Для оформления заказа нажмите один.",
                "Для возврата нажмите два.",
                "Дождитесь ответа специалиста.",
                "Выберите один из пунктов меню.",
            ),
        ),
        "uk": (
            (
                "Вас вітає {company}.",
                "Дякуємо за дзвінок до {company}.",
                "Доброго дня, це {company}.",
                "Ви зателефонували до довідкової {company}.",
            ),
            ("Розмова може бути записана.", "Змінився графік роботи.", "Будь ласка, зачекайте.", E),
            (
                "Для оформлення замовлення натисніть один.",
                "Для повернення натисніть два.",
                "Дочекайтеся відповіді фахівця.",
                "Оберіть один із пунктів меню.",
            ),
        ),
    },
    "screening": {
        "en": (
            ("Hello,", "Hi there,", E),
            (
                "{name} uses call screening.",
                "you are talking to a virtual assistant.",
                "this is an answering assistant.",
            ),
            ("Please say who you are", "Tell me your name", "Say your name and company"),
            (
                "and I'll see if {name} is available.",
                "and the purpose of the call.",
                "after the tone.",
            ),
        ),
        "ru": (
            ("Здравствуйте,", "Алло,", E),
            (
                "звонки {name} фильтруются.",
                "вы говорите с виртуальным помощником.",
                "вам отвечает автосекретарь.",
            ),
            ("Скажите, кто вы,", "Назовите своё имя", "Назовите имя и компанию"),
            ("и я уточню, сможет ли {name} ответить.", "и цель звонка.", "после сигнала."),
        ),
        "uk": (
            ("Вітаю,", "Алло,", E),
            (
                "дзвінки {name} фільтруються.",
                "ви говорите з віртуальним помічником.",
                "вам відповідає автосекретар.",
            ),
            ("Скажіть, хто ви,", "Назвіть своє ім'я", "Назвіть ім'я і компанію"),
            ("і я уточню, чи зможе {name} відповісти.", "і мету дзвінка.", "після сигналу."),
        ),
    },
}


def compose(kind: str, language: str, rng: random.Random) -> str:
    """One sentence of `kind`: a choice per slot, names and companies filled in."""
    return fill(GRAMMAR[kind][language], language, rng)


def fill(
    slots: Slots,
    language: str,
    rng: random.Random,
    names: tuple[str, ...] = (),
    companies: tuple[str, ...] = (),
) -> str:
    """A choice per slot, joined, names and companies filled in (from NAMES and
    COMPANIES, and any further ones given)."""
    words = [rng.choice(slot) for slot in slots]
    text = re.sub(r" ([?.,!])", r"\1", " ".join(w for w in words if w))  # "Hello ?" -> "Hello?"
    text = text.format(
        name=rng.choice(NAMES[language] + names),
        company=rng.choice(COMPANIES[language] + companies),
    )
    return text[:1].upper() + text[1:]
