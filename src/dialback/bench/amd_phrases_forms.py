"""More sentence shapes for the wide phrase bank: the "rich" bank.

`amd_phrases_wide.GRAMMAR` gives every kind one shape (one sequence of slots); a
network trained on it still hears every call screener introduce itself as an
assistant, every desk say good morning first, every carrier say "the subscriber".
Here some kinds get further shapes -- the assistant that asks a question, the desk
that answers with a department or just a name, the carrier that speaks of money or
the network, the mailbox that says where its owner is -- and the "rich" bank picks
one shape per sentence, the wide grammar's among them. Kept apart from the wide
grammar so the corpora made from that stay reproducible; written without the
held-out bank's sentences.
"""

from __future__ import annotations

import random

from dialback.bench import amd_phrases_wide as wide

E = ""

FORMS: dict[str, dict[str, tuple[wide.Slots, ...]]] = {
    "hello_again": {
        "en": (
            (
                ("Hello?", "Yeah?", "Hi?", "Yes?"),
                (E, "Who is it?", "Anybody?", "Hello, hello?", "Speak up."),
            ),
        ),
        "ru": (
            (
                ("Алло?", "Да?", "Слушаю?"),
                (E, "Кто это?", "Вас не слышно.", "Алло, алло?", "Говорите громче."),
            ),
        ),
        "uk": (
            (
                ("Алло?", "Так?", "Слухаю?"),
                (E, "Хто це?", "Вас не чути.", "Алло, алло?", "Говоріть голосніше."),
            ),
        ),
    },
    "business": {
        "en": (
            (
                ("Yeah,", "Yes,", "Morning,", E),
                ("{name},", "this is {name},", "{name} from {company},", "{company}, {name},"),
                ("good morning.", "hi.", "hello.", "speaking."),
                (E, "Who's this?", "What's up?", "Can I help you?", "What do you need?"),
            ),
            (
                (
                    "{company} reception,",
                    "Front desk,",
                    "Customer care,",
                    "Dispatch,",
                    "{company} support,",
                ),
                (E, "{name} speaking,", "hi,"),
                (
                    "who would you like to speak to?",
                    "how can I direct your call?",
                    "what's your account number?",
                    "what can I do for you today?",
                ),
            ),
        ),
        "ru": (
            (
                ("Да,", "Алло,", "Слушаю,", E),
                ("{name},", "{name} слушает,", "это {name} из {company},", "{company}, {name},"),
                (E, "здравствуйте.", "добрый день."),
                (E, "Кто это?", "Говорите.", "Что вы хотели?", "Чем помочь?"),
            ),
            (
                (
                    "Приёмная {company},",
                    "Регистратура,",
                    "Диспетчерская,",
                    "Ресепшен,",
                    "Служба поддержки {company},",
                ),
                (E, "{name},", "здравствуйте,"),
                (
                    "с кем вас соединить?",
                    "вы по какому вопросу?",
                    "назовите номер договора.",
                    "слушаю вас внимательно.",
                ),
            ),
        ),
        "uk": (
            (
                ("Так,", "Алло,", "Слухаю,", E),
                ("{name},", "{name} слухає,", "це {name} з {company},", "{company}, {name},"),
                (E, "вітаю.", "добрий день."),
                (E, "Хто це?", "Говоріть.", "Що ви хотіли?", "Чим допомогти?"),
            ),
            (
                (
                    "Приймальня {company},",
                    "Реєстратура,",
                    "Диспетчерська,",
                    "Ресепшн,",
                    "Служба підтримки {company},",
                ),
                (E, "{name},", "вітаю,"),
                (
                    "з ким вас з'єднати?",
                    "ви з якого питання?",
                    "назвіть номер договору.",
                    "уважно вас слухаю.",
                ),
            ),
        ),
    },
    "voicemail": {
        "en": (
            (
                ("Hey, it's {name}.", "Hi, you've got {name}.", "Hello, {name}'s phone."),
                (
                    "Sorry I missed you.",
                    "I'm away from my desk.",
                    "I'm driving right now.",
                    "I can't get to the phone.",
                ),
                (
                    "Leave your name and number",
                    "Send me a text",
                    "Say what it's about",
                    "Talk to me",
                ),
                ("and I'll get back to you.", "and I'll return your call.", "at the tone.", "."),
                (E, "Thanks!", "Have a good one.", "Bye."),
            ),
        ),
        "ru": (
            (
                ("Привет, это {name}.", "Вы позвонили, это {name}.", "Голосовая почта. {name}."),
                ("Я сейчас не могу ответить.", "Меня нет на месте.", "Я за рулём.", "Я в отпуске."),
                ("Оставьте имя и номер", "Напишите мне", "Расскажите, в чём дело,", "Говорите"),
                ("и я перезвоню.", "после гудка.", "и я свяжусь с вами.", "."),
                (E, "Спасибо!", "Хорошего дня.", "Пока."),
            ),
        ),
        "uk": (
            (
                ("Привіт, це {name}.", "Ви зателефонували, це {name}.", "Голосова пошта. {name}."),
                (
                    "Я зараз не можу відповісти.",
                    "Мене немає на місці.",
                    "Я за кермом.",
                    "Я у відпустці.",
                ),
                ("Залиште ім'я і номер", "Напишіть мені", "Розкажіть, у чому справа,", "Говоріть"),
                ("і я передзвоню.", "після гудка.", "і я зв'яжуся з вами.", "."),
                (E, "Дякую!", "Гарного дня.", "Бувайте."),
            ),
        ),
    },
    "short_greeting": {
        "en": (
            (
                ("{name}.", "Hi, {name}.", "{company}.", E),
                ("Message please.", "Talk at the tone.", "Leave your number.", "Speak now."),
            ),
        ),
        "ru": (
            (
                ("{name}.", "Это {name}.", E),
                ("Жду сообщения.", "Сообщение после гудка.", "Перезвоню.", "Оставьте номер."),
            ),
        ),
        "uk": (
            (
                ("{name}.", "Це {name}.", E),
                (
                    "Чекаю повідомлення.",
                    "Повідомлення після гудка.",
                    "Передзвоню.",
                    "Залиште номер.",
                ),
            ),
        ),
    },
    "carrier": {
        "en": (
            (
                ("Your call", "This call", "The call you made"),
                ("cannot be connected", "did not go through", "could not be put through"),
                ("because of network trouble.", "on this network.", "."),
                (E, "Please dial again.", "Please retry in a few minutes."),
            ),
        ),
        "ru": (
            (
                ("Уважаемый абонент!", E),
                (
                    "На вашем счёте недостаточно средств.",
                    "Связь с абонентом временно невозможна.",
                    "Ваш вызов не может быть выполнен.",
                    "Номер заблокирован оператором.",
                ),
                (E, "Пожалуйста, пополните счёт.", "Повторите вызов позже."),
            ),
        ),
        "uk": (
            (
                ("Шановний абоненте!", E),
                (
                    "На вашому рахунку недостатньо коштів.",
                    "Зв'язок з абонентом тимчасово неможливий.",
                    "Ваш виклик не може бути виконаний.",
                    "Номер заблокований оператором.",
                ),
                (E, "Будь ласка, поповніть рахунок.", "Повторіть виклик пізніше."),
            ),
        ),
    },
    "ivr": {
        "en": (
            (
                ("You are through to {company}.", "Thanks for holding.", "{company} hotline."),
                ("All our advisers are busy.", "The wait is about three minutes.", E),
                ("For English, press one.", "Please keep holding.", "Your call matters to us."),
            ),
        ),
        "ru": (
            (
                ("Вы позвонили в {company}.", "Спасибо за ожидание.", "Горячая линия {company}."),
                ("Все консультанты заняты.", "Время ожидания около трёх минут.", E),
                (
                    "Для русского языка нажмите один.",
                    "Пожалуйста, не кладите трубку.",
                    "Ваш звонок важен.",
                ),
            ),
        ),
        "uk": (
            (
                (
                    "Ви зателефонували до {company}.",
                    "Дякуємо за очікування.",
                    "Гаряча лінія {company}.",
                ),
                ("Усі консультанти зайняті.", "Час очікування близько трьох хвилин.", E),
                (
                    "Для української мови натисніть один.",
                    "Будь ласка, не кладіть слухавку.",
                    "Ваш дзвінок важливий.",
                ),
            ),
        ),
    },
    "screening": {
        "en": (
            (
                ("Hi,", "Hello,", E),
                ("the person you're calling", "{name}", "the owner of this phone"),
                ("is using a screening service", "has an assistant picking up", "can't pick up"),
                ("and will see what you say.", "and will get your reply.", "."),
                ("Go ahead and say your name", "Please give your name", "Who's calling"),
                ("and what it's regarding.", "and the reason for the call.", "please.", "?"),
            ),
            (
                ("Hi, I'm", "Hello, this is", "You've reached"),
                (
                    "{name}'s assistant.",
                    "a digital assistant for {name}.",
                    "an AI receptionist.",
                    "{name}'s virtual secretary.",
                ),
                ("{name} is busy.", "{name} can't talk right now.", E),
                ("Can you tell me", "Could you say", "Let me know"),
                (
                    "what this call is about?",
                    "who you are and what you need?",
                    "the reason you're calling?",
                    "your name and number?",
                ),
            ),
        ),
        "ru": (
            (
                ("Здравствуйте!", "Добрый день!", E),
                (
                    "Я голосовой помощник.",
                    "Это ассистент абонента.",
                    "Вам отвечает секретарь.",
                ),
                ("{name} сейчас не может ответить.", "Абонент занят.", E),
                ("Представьтесь, пожалуйста,", "Скажите, как вас зовут,", "Назовитесь"),
                ("и по какому вы вопросу.", "и что передать.", "и я всё передам."),
            ),
            (
                ("Алло,", "Да,", E),
                (
                    "это автоответчик-секретарь.",
                    "на звонок отвечает робот-помощник.",
                    "с вами говорит умный помощник.",
                ),
                (
                    "Чем могу помочь?",
                    "Что передать абоненту?",
                    "Расскажите, по какому поводу звонок.",
                    "Как вас представить?",
                ),
            ),
        ),
        "uk": (
            (
                ("Вітаю!", "Добрий день!", E),
                (
                    "Я голосовий помічник.",
                    "Це асистент абонента.",
                    "Вам відповідає секретар.",
                ),
                ("{name} зараз не може відповісти.", "Абонент зайнятий.", E),
                ("Представтеся, будь ласка,", "Скажіть, як вас звати,", "Назвіться"),
                ("і з якого ви питання.", "і що передати.", "і я все передам."),
            ),
            (
                ("Алло,", "Так,", E),
                (
                    "це автовідповідач-секретар.",
                    "на дзвінок відповідає робот-помічник.",
                    "з вами говорить розумний помічник.",
                ),
                (
                    "Чим можу допомогти?",
                    "Що передати абоненту?",
                    "Розкажіть, з якого приводу дзвінок.",
                    "Як вас представити?",
                ),
            ),
        ),
    },
}


def compose(kind: str, language: str, rng: random.Random) -> str:
    """One sentence of `kind`: a shape (the wide grammar's or one of FORMS'), then a
    choice per slot, names and companies filled in."""
    shapes = (wide.GRAMMAR[kind][language], *FORMS.get(kind, {}).get(language, ()))
    return wide.fill(rng.choice(shapes), language, rng)
