"""Persian and Arabic stop words: function words too common to help a search.

A query's language is not known, so an Arabic-script word is dropped when it is a stop
word in either language (`ARABIC_SCRIPT_STOP_WORDS`). Both lists are kept in the form
`normalize` gives (so `على` and `علی` are one word) and leave out words that are function
words in one language but content words in the other or names (`علی` is Ali in both).
Persian lists the pieces that a zero-width non-joiner separates (`می`, `ها`, `های`):
`کتاب‌ها` and `کتابها` must differ only by what the stemmer removes. The verb `شود`
("becomes") stays a word: `می شود` is a phrase people search for.
"""

from __future__ import annotations

from newssearch.analysis.normalize import normalize

_PERSIAN = """
و در به از که این آن را با برای تا بر یا هم نیز اما ولی اگر چون چه پس هر همه
است هست نیست بود بوده باشد باشند شد شده می نمی ها های هایی ای ام ایم اید اند
خود او وی ما من تو شما آنها ایشان اینها آنان ایشان
یک دیگر بین روی زیر پیش بعد قبل طی ضمن نزد درباره همچنین اینکه آنکه چنین چنان
کرد کرده کند کنند کنیم کردن کردند دارد دارند داشت داشته داشتند
گفت گفته خواهد خواهند باید نباید
"""
_ARABIC = """
في من إلى الى عن مع هذا هذه هذان هؤلاء ذلك تلك التي الذي الذين اللذين اللتين اللواتي
ما لا لم لن قد كان كانت يكون تكون أن إن أو ثم كل بعض بعد قبل بين حتى عند منذ لدى
هو هي هم هن نحن أنا أنت أنتم هناك هنا كما أي غير أيضا وقد وفي ومن وأن ولا وهو وهي
فيه فيها منه منها عنه عنها له لها لهم به بها إلا بل حيث إذا إذ لكن ليس كذلك
"""

PERSIAN: frozenset[str] = frozenset(normalize(w) for w in _PERSIAN.split())
"""Persian stop words, normalized."""
ARABIC: frozenset[str] = frozenset(normalize(w) for w in _ARABIC.split())
"""Arabic stop words, normalized."""
ARABIC_SCRIPT_STOP_WORDS: frozenset[str] = PERSIAN | ARABIC
"""The words dropped from Arabic-script text, whatever its language."""
