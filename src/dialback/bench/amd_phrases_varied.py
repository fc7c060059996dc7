"""Still more sentence shapes and names: the "varied" phrase bank.

A network trained on the wide and rich banks still took a third of the held-out
bank's call screeners for people, and some of its desk greetings and television
chatter for machines: what it had not heard was phrased otherwise. The more
ways of saying a thing a network hears, the less it can lean on any one of them.
Here every kind gets further shapes -- the person who answers with a question of
their own or mid-errand, the desk that gives its hours, the mailbox that spells
out a number or a second contact, the carrier that speaks of credit or coverage,
the IVR that asks for a digit by name, the screener that asks to hold -- and other
names and companies. The "varied" bank picks one shape per sentence among these,
the rich bank's and the wide grammar's. Kept apart so the corpora made from those
stay reproducible; written without the held-out bank's sentences.
"""

from __future__ import annotations

import random

from dialback.bench import amd_phrases_forms as forms
from dialback.bench import amd_phrases_wide as wide

E = ""

NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "Fiona",
        "Gordon",
        "Ivy",
        "Leon",
        "Martha",
        "Quentin",
        "Ruth",
        "Wesley",
        "Yasmin",
        "Felix",
    ),
    "ru": ("Тимур", "Вера", "Степан", "Алёна", "Григорий", "Полина", "Денис", "Лариса"),
    "uk": ("Тарас", "Оксана", "Богдан", "Соломія", "Любомир", "Зоряна", "Ярема", "Христина"),
}

COMPANIES: dict[str, tuple[str, ...]] = {
    "en": ("Brightline", "Northgate Motors", "Harbor Dental", "Pinewood Realty", "Apex Freight"),
    "ru": (
        "Северный ветер",
        "Гарант-Сервис",
        "Техностиль",
        "Клиника Доктор Рядом",
        "Альфа-Логистика",
    ),
    "uk": ("Карпати-Тур", "Дніпро-Сталь", "Смарт Дент", "Нова Хвиля", "Агроресурс"),
}

FORMS: dict[str, dict[str, tuple[wide.Slots, ...]]] = {
    "hello": {
        "en": (
            (
                ("Uh, hello", "Hm, yes", "Yep", "Go ahead", "Hello there", "Speaking"),
                ("?", ".", "!"),
            ),
        ),
        "ru": (
            (
                (
                    "Ну, алло",
                    "Ага, слушаю",
                    "Да-да",
                    "Говорите",
                    "На связи",
                    "Алло-алло",
                    "Слушаю внимательно",
                ),
                ("?", "."),
            ),
        ),
        "uk": (
            (
                (
                    "Ну, алло",
                    "Ага, слухаю",
                    "Так-так",
                    "Кажіть",
                    "На зв'язку",
                    "Алло-алло",
                    "Уважно слухаю",
                ),
                ("?", "."),
            ),
        ),
    },
    "hello_again": {
        "en": (
            (
                ("Hello?", "Hey, hello?", "Yes, hello?"),
                ("Is someone there?", "Can you hear me?", "Bad line.", "Nothing?", "I'll hang up."),
            ),
        ),
        "ru": (
            (
                ("Алло?", "Да, алло?", "Алё, алё?"),
                ("Есть там кто?", "Меня слышно?", "Плохо слышно.", "Тишина.", "Я кладу трубку."),
            ),
        ),
        "uk": (
            (
                ("Алло?", "Так, алло?", "Алё, алё?"),
                ("Є там хтось?", "Мене чути?", "Погано чути.", "Тиша.", "Я кладу слухавку."),
            ),
        ),
    },
    "question": {
        "en": (
            (
                ("Mm-hm,", "Right,", "Okay,", "Uh,"),
                (
                    "did you call me earlier?",
                    "is this about the delivery?",
                    "which company did you say?",
                    "are you from the bank?",
                    "do I know you?",
                ),
            ),
        ),
        "ru": (
            (
                ("Ага,", "Так,", "Ну,", "Угу,"),
                (
                    "вы мне раньше звонили?",
                    "это насчёт доставки?",
                    "вы из какой компании?",
                    "вы из банка?",
                    "мы знакомы?",
                ),
            ),
        ),
        "uk": (
            (
                ("Ага,", "Так,", "Ну,", "Угу,"),
                (
                    "ви мені раніше дзвонили?",
                    "це щодо доставки?",
                    "ви з якої компанії?",
                    "ви з банку?",
                    "ми знайомі?",
                ),
            ),
        ),
    },
    "business": {
        "en": (
            (
                ("{company},", "{company} service desk,", "Sales,", "Accounts,"),
                ("we're open till six,", "{name} on the line,", E),
                (
                    "how may I help?",
                    "go ahead.",
                    "what's the order number?",
                    "who's calling please?",
                ),
            ),
            (
                ("Yeah, {name} here,", "{name} speaking,", "Hi, {name},"),
                (
                    "I'm driving, make it quick.",
                    "I'm in a meeting, what's up?",
                    "you caught me at lunch.",
                    "sorry, it's noisy here.",
                ),
            ),
        ),
        "ru": (
            (
                ("{company},", "Отдел продаж,", "Бухгалтерия,", "Сервисный центр {company},"),
                ("работаем до шести,", "у аппарата {name},", E),
                ("чем могу помочь?", "говорите.", "назовите номер заказа.", "кто звонит?"),
            ),
            (
                ("Да, это {name},", "{name} на связи,", "Алло, {name},"),
                (
                    "я за рулём, коротко.",
                    "я на совещании, что случилось?",
                    "у меня обед.",
                    "извините, тут шумно.",
                ),
            ),
        ),
        "uk": (
            (
                ("{company},", "Відділ продажу,", "Бухгалтерія,", "Сервісний центр {company},"),
                ("працюємо до шостої,", "на зв'язку {name},", E),
                ("чим можу допомогти?", "кажіть.", "назвіть номер замовлення.", "хто телефонує?"),
            ),
            (
                ("Так, це {name},", "{name} на зв'язку,", "Алло, {name},"),
                (
                    "я за кермом, коротко.",
                    "я на нараді, що сталося?",
                    "у мене обід.",
                    "вибачте, тут гамірно.",
                ),
            ),
        ),
    },
    "aside": {
        "en": (
            (
                ("Yeah, hang on,", "Hold the line,", "Hello, sorry,"),
                (
                    "I'm just parking the car,",
                    "the kids are shouting,",
                    "I'm on the other line,",
                    "the dog's barking,",
                ),
                ("be with you in a sec.", "one second.", E),
            ),
        ),
        "ru": (
            (
                ("Да, погодите,", "Не кладите трубку,", "Алло, извините,"),
                ("я паркуюсь,", "тут дети кричат,", "у меня вторая линия,", "собака лает,"),
                ("сейчас.", "одну секундочку.", E),
            ),
        ),
        "uk": (
            (
                ("Так, зачекайте,", "Не кладіть слухавку,", "Алло, вибачте,"),
                ("я паркуюся,", "тут діти кричать,", "у мене друга лінія,", "собака гавкає,"),
                ("зараз.", "одну секундочку.", E),
            ),
        ),
    },
    "chatter": {
        "en": (
            (
                ("Tomorrow will be", "The weekend looks", "Later this week it turns"),
                ("cloudy with light rain", "bright and sunny", "windy along the coast"),
                ("and temperatures around ten degrees.", ", so take an umbrella.", "."),
            ),
            (
                ("Add the flour slowly", "Now stir in the sugar", "Let the sauce simmer"),
                ("for about five minutes", "until it thickens", "while you chop the onions"),
                (", and don't forget the salt.", "."),
            ),
        ),
        "ru": (
            (
                ("Завтра ожидается", "На выходных будет", "К концу недели"),
                (
                    "облачно и небольшой дождь",
                    "ясная солнечная погода",
                    "сильный ветер на побережье",
                ),
                (", температура около десяти градусов.", ", возьмите зонт.", "."),
            ),
            (
                ("Добавьте муку постепенно", "Теперь всыпьте сахар", "Пусть соус покипит"),
                ("минут пять", "пока он не загустеет", "пока вы режете лук"),
                (", и не забудьте посолить.", "."),
            ),
        ),
        "uk": (
            (
                ("Завтра очікується", "На вихідних буде", "До кінця тижня"),
                ("хмарно і невеликий дощ", "ясна сонячна погода", "сильний вітер на узбережжі"),
                (", температура близько десяти градусів.", ", візьміть парасольку.", "."),
            ),
            (
                ("Додайте борошно поступово", "Тепер всипте цукор", "Нехай соус покипить"),
                ("хвилин п'ять", "поки він не загусне", "поки ви ріжете цибулю"),
                (", і не забудьте посолити.", "."),
            ),
        ),
    },
    "voicemail": {
        "en": (
            (
                ("This is the voice mailbox of", "You've reached the mailbox of", "Mailbox of"),
                ("{name}.", "{name} from {company}.", "extension two four one."),
                (
                    "For urgent matters call the office on five five five, one two three.",
                    "If it's urgent, please contact {name} instead.",
                    "I check messages every evening.",
                    E,
                ),
                (
                    "Please leave your message after the tone.",
                    "Record your message now.",
                    "Thanks.",
                ),
            ),
            (
                ("Hi, sorry,", "Hello,", E),
                ("I'm out of the office until Monday.", "I'm travelling and can't answer."),
                ("Send me a text or leave a voicemail.", "Leave your details and I'll call back."),
            ),
        ),
        "ru": (
            (
                ("Это голосовой ящик", "Вы позвонили в голосовую почту", "Голосовая почта"),
                ("{name}.", "{name}, компания {company}.", "добавочного номера двести сорок один."),
                (
                    "По срочным вопросам звоните в офис.",
                    "Если срочно, обратитесь к {name}.",
                    "Я проверяю сообщения по вечерам.",
                    E,
                ),
                ("Оставьте сообщение после сигнала.", "Говорите после гудка.", "Спасибо."),
            ),
            (
                ("Здравствуйте,", "Привет,", E),
                ("я в отпуске до понедельника.", "я в дороге и не могу ответить."),
                ("Напишите сообщение или оставьте голосовое.", "Оставьте контакты, я перезвоню."),
            ),
        ),
        "uk": (
            (
                ("Це голосова скринька", "Ви зателефонували на голосову пошту", "Голосова пошта"),
                ("{name}.", "{name}, компанія {company}.", "додаткового номера двісті сорок один."),
                (
                    "З термінових питань телефонуйте до офісу.",
                    "Якщо терміново, зверніться до {name}.",
                    "Я перевіряю повідомлення ввечері.",
                    E,
                ),
                ("Залиште повідомлення після сигналу.", "Говоріть після гудка.", "Дякую."),
            ),
            (
                ("Вітаю,", "Привіт,", E),
                ("я у відпустці до понеділка.", "я в дорозі і не можу відповісти."),
                ("Напишіть повідомлення або залиште голосове.", "Залиште контакти, я передзвоню."),
            ),
        ),
    },
    "short_greeting": {
        "en": (
            (
                ("{name} here.", "You've got {name}.", "{company}.", "Not here."),
                ("Leave it after the tone.", "Talk to me.", "Text me.", "Go."),
            ),
        ),
        "ru": (
            (
                ("{name} не на связи.", "{name}.", "{company}.", "Занят."),
                ("Наберите позже.", "Напишите мне.", "После сигнала.", "Жду сообщения."),
            ),
        ),
        "uk": (
            (
                ("{name} не на зв'язку.", "{name}.", "{company}.", "Зайнятий."),
                ("Наберіть пізніше.", "Напишіть мені.", "Після сигналу.", "Чекаю повідомлення."),
            ),
        ),
    },
    "carrier": {
        "en": (
            (
                ("Your call cannot be completed", "This call could not be connected"),
                (
                    "because your account balance is low.",
                    "as dialed.",
                    "due to network congestion.",
                ),
                ("Please top up and try again.", "Please hang up and dial again.", E),
            ),
            (
                ("The mobile you are calling", "The phone you have called"),
                ("is switched off or out of coverage.", "is temporarily blocked."),
                ("You may leave a message after the signal.", "Goodbye.", E),
            ),
        ),
        "ru": (
            (
                ("Ваш вызов не может быть выполнен", "Соединение не установлено"),
                (
                    "из-за недостатка средств на счёте.",
                    "по набранному номеру.",
                    "из-за перегрузки сети.",
                ),
                ("Пополните счёт и повторите попытку.", "Положите трубку и наберите снова.", E),
            ),
            (
                ("Мобильный абонент", "Телефон, которому вы звоните,"),
                ("выключен или находится вне зоны действия сети.", "временно заблокирован."),
                ("Вы можете оставить сообщение после сигнала.", "До свидания.", E),
            ),
        ),
        "uk": (
            (
                ("Ваш виклик не може бути виконаний", "З'єднання не встановлено"),
                (
                    "через нестачу коштів на рахунку.",
                    "за набраним номером.",
                    "через перевантаження мережі.",
                ),
                (
                    "Поповніть рахунок і повторіть спробу.",
                    "Покладіть слухавку і наберіть знову.",
                    E,
                ),
            ),
            (
                ("Мобільний абонент", "Телефон, якому ви телефонуєте,"),
                ("вимкнений або поза зоною досяжності мережі.", "тимчасово заблокований."),
                ("Ви можете залишити повідомлення після сигналу.", "До побачення.", E),
            ),
        ),
    },
    "ivr": {
        "en": (
            (
                ("You have reached", "Hello and welcome to", "This is the automated line of"),
                ("{company}.", "{company} customer services."),
                (
                    "All our operators are busy.",
                    "Your call is important to us.",
                    "Please listen carefully as our menu has changed.",
                ),
                (
                    "If you know your party's extension, dial it now.",
                    "For billing, say billing or press three.",
                    "To hear these options again, press star.",
                ),
            ),
        ),
        "ru": (
            (
                ("Вы позвонили в", "Добро пожаловать в", "Это автоматическая линия"),
                ("{company}.", "службу клиентов {company}."),
                (
                    "Все операторы заняты.",
                    "Ваш звонок очень важен для нас.",
                    "Прослушайте внимательно, меню изменилось.",
                ),
                (
                    "Если знаете добавочный номер, наберите его.",
                    "По вопросам оплаты нажмите три.",
                    "Чтобы прослушать меню ещё раз, нажмите звёздочку.",
                ),
            ),
        ),
        "uk": (
            (
                ("Ви зателефонували до", "Ласкаво просимо до", "Це автоматична лінія"),
                ("{company}.", "служби клієнтів {company}."),
                (
                    "Усі оператори зайняті.",
                    "Ваш дзвінок дуже важливий для нас.",
                    "Прослухайте уважно, меню змінилося.",
                ),
                (
                    "Якщо знаєте додатковий номер, наберіть його.",
                    "З питань оплати натисніть три.",
                    "Щоб прослухати меню ще раз, натисніть зірочку.",
                ),
            ),
        ),
    },
    "screening": {
        "en": (
            (
                ("Hi, thanks for calling.", "Hello there.", "Good afternoon."),
                (
                    "Before I put you through,",
                    "I answer calls for {name}.",
                    "This line is protected against spam.",
                ),
                (
                    "may I ask who's calling?",
                    "please state your name after the tone.",
                    "what should I tell {name}?",
                    "please stay on the line and say why you're calling.",
                ),
            ),
            (
                ("Please hold while I check", "One moment, I'll see"),
                ("if {name} can take your call.", "whether {name} is free."),
                ("Meanwhile, say your name.", "Who shall I say is calling?", E),
            ),
        ),
        "ru": (
            (
                ("Здравствуйте, спасибо за звонок.", "Добрый день.", "Алло, здравствуйте."),
                (
                    "Прежде чем я соединю вас,",
                    "Я отвечаю на звонки {name}.",
                    "Этот номер защищён от спама.",
                ),
                (
                    "скажите, кто звонит?",
                    "назовите своё имя после сигнала.",
                    "что передать {name}?",
                    "оставайтесь на линии и скажите, зачем звоните.",
                ),
            ),
            (
                ("Подождите, я проверю,", "Минутку, я узнаю,"),
                ("может ли {name} ответить.", "свободен ли абонент."),
                ("А пока назовите себя.", "Как вас представить?", E),
            ),
        ),
        "uk": (
            (
                ("Вітаю, дякую за дзвінок.", "Добрий день.", "Алло, вітаю."),
                (
                    "Перш ніж я з'єднаю вас,",
                    "Я відповідаю на дзвінки {name}.",
                    "Цей номер захищено від спаму.",
                ),
                (
                    "скажіть, хто телефонує?",
                    "назвіть своє ім'я після сигналу.",
                    "що передати {name}?",
                    "залишайтеся на лінії і скажіть, навіщо телефонуєте.",
                ),
            ),
            (
                ("Зачекайте, я перевірю,", "Хвилинку, я дізнаюся,"),
                ("чи може {name} відповісти.", "чи вільний абонент."),
                ("А поки назвіть себе.", "Як вас представити?", E),
            ),
        ),
    },
}


def compose(kind: str, language: str, rng: random.Random) -> str:
    """One sentence of `kind`: a shape (the wide grammar's, the rich bank's or one
    of FORMS'), a choice per slot, then names and companies from all the banks'."""
    shapes = (
        wide.GRAMMAR[kind][language],
        *forms.FORMS.get(kind, {}).get(language, ()),
        *FORMS.get(kind, {}).get(language, ()),
    )
    return wide.fill(rng.choice(shapes), language, rng, NAMES[language], COMPANIES[language])
