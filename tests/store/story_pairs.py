"""Labelled article pairs: copies that must join one story, and hard negatives that must not.

Each pair is (name, first body, second body). The copies are what syndication does to a wire
story: another dateline, a sentence reworded, dropped or added, house style, leftovers of page
furniture, a cut tail. The negatives are what sits closest to a copy without being one: a
follow-up that repeats the background, another outlet's report of the same event, two pages of
a live blog, a piece built around the same long quote, two stories from one template.
"""

from __future__ import annotations

# -- The Kremlin announces a visit (the sample site's wire story) ---------------------------

PUTIN = """\
MOSCOW (Wire) — Russian President Vladimir Putin will visit China next month for talks with \
President Xi Jinping, the Kremlin said on Tuesday, in what would be his second trip to Beijing \
this year.

Kremlin spokesman Dmitry Peskov told reporters that preparations for the visit were under way \
and that the two leaders would discuss trade, energy and “the international situation”. He did \
not give exact dates.

Putin last travelled to China in May, shortly after being sworn in for a new six-year term, when \
he and Xi signed a joint statement pledging a “new era” of partnership between the two countries.

Trade between Russia and China reached a record $240 billion last year, according to Chinese \
customs data, as Moscow turned east after Western sanctions over the war in Ukraine.

Officials in Beijing did not immediately confirm the visit. China’s foreign ministry said it had \
“no information to release at this time” but that the two sides maintained close contact at all \
levels.

Analysts said the talks were likely to focus on the Power of Siberia 2 gas pipeline, a \
long-delayed project that would carry Russian gas to China through Mongolia."""

# The sample site's ledger copy: no dateline, two paragraphs rewritten.
PUTIN_LEDGER = """\
Russian President Vladimir Putin will visit China next month for talks with President Xi \
Jinping, the Kremlin said on Tuesday, in what would be his second trip to Beijing this year.

Kremlin spokesman Dmitry Peskov told reporters that preparations for the visit were under way \
and that the two leaders would discuss trade, energy and “the international situation”. He did \
not give exact dates.

Putin last went to China in May, weeks after his inauguration for a fresh six-year term, when he \
and Xi signed a joint statement pledging a “new era” of partnership.

Trade between Russia and China reached a record $240 billion last year, according to Chinese \
customs data, as Moscow turned east after Western sanctions over the war in Ukraine.

Beijing has not yet confirmed the trip. China’s foreign ministry said it had “no information to \
release at this time”.

Analysts said the talks were likely to focus on the Power of Siberia 2 gas pipeline, a \
long-delayed project that would carry Russian gas to China through Mongolia."""

# A regional paper: its own dateline, a local line added, leftovers of the page around it.
PUTIN_REGIONAL = """\
Russian President Vladimir Putin will visit China next month for talks with President Xi \
Jinping, the Kremlin said on Tuesday, in what would be his second trip to Beijing this year.

Kremlin spokesman Dmitry Peskov told reporters that preparations for the visit were under way \
and that the two leaders would discuss trade, energy and “the international situation”. He did \
not give exact dates.

READ MORE: Why the Power of Siberia 2 pipeline matters to Europe

Putin last travelled to China in May, shortly after being sworn in for a new six-year term, when \
he and Xi signed a joint statement pledging a “new era” of partnership between the two countries.

Trade between Russia and China reached a record $240 billion last year, according to Chinese \
customs data, as Moscow turned east after Western sanctions over the war in Ukraine.

Advertisement

Officials in Beijing did not immediately confirm the visit. China’s foreign ministry said it had \
“no information to release at this time” but that the two sides maintained close contact at all \
levels.

Analysts said the talks were likely to focus on the Power of Siberia 2 gas pipeline, a \
long-delayed project that would carry Russian gas to China through Mongolia.

Reporting by Wire staff; editing by the regional desk. Sign up for our free daily newsletter."""

# A news site's brief: the first three paragraphs, the lede trimmed.
PUTIN_BRIEF = """\
Russian President Vladimir Putin will visit China next month for talks with President Xi \
Jinping, the Kremlin said on Tuesday.

Kremlin spokesman Dmitry Peskov told reporters that preparations for the visit were under way \
and that the two leaders would discuss trade, energy and “the international situation”. He did \
not give exact dates.

Putin last travelled to China in May, shortly after being sworn in for a new six-year term, when \
he and Xi signed a joint statement pledging a “new era” of partnership between the two countries."""

# A week later: Putin lands in Beijing. New reporting first, the announcement's background after.
PUTIN_FOLLOW_UP = """\
BEIJING (Wire) — Vladimir Putin arrived in Beijing on Thursday for two days of talks with Xi \
Jinping, with both leaders expected to sign agreements on energy, farming and nuclear power.

Xi greeted the Russian president with a military band and a 21-gun salute in Tiananmen Square, \
and the two men held more than two hours of talks before a banquet in the Great Hall of the \
People.

“Relations between our countries are at their best level in history,” Putin told Xi, according \
to a Kremlin transcript. Xi said China was ready to “deepen strategic coordination” with Moscow.

Russian officials said a deal on the price of gas for the Power of Siberia 2 pipeline was close, \
but Chinese officials declined to comment on the state of the negotiations.

Trade between Russia and China reached a record $240 billion last year, according to Chinese \
customs data, as Moscow turned east after Western sanctions over the war in Ukraine.

Analysts said the talks were likely to focus on the Power of Siberia 2 gas pipeline, a \
long-delayed project that would carry Russian gas to China through Mongolia.

Western governments have warned Beijing against supplying components that Russia could use in \
its weapons, a charge China denies."""

# Another outlet's own report of the same announcement.
PUTIN_OTHER_OUTLET = """\
The Kremlin has announced that Vladimir Putin will travel to Beijing next month, his second visit \
to China since he began a new term in office in May.

Speaking to journalists on Tuesday, Dmitry Peskov said the Russian leader would discuss trade, \
energy and “the international situation” with Xi Jinping, but declined to say when the trip \
would take place.

China has become Russia’s most important economic partner since the invasion of Ukraine, buying \
record volumes of Russian oil and supplying cars, machinery and electronics.

Beijing did not comment on the announcement. Officials in Washington and Brussels have \
criticised China for helping Russia to sustain its war economy.

The Power of Siberia 2 pipeline, which Moscow hopes will replace lost European gas sales, is \
expected to be on the agenda, though the two sides have yet to agree on a price."""

# Another piece built around the same long quote from the Kremlin.
PEKSOV_QUOTE = """\
“Preparations for the visit are under way, and the leaders will have a broad agenda covering \
trade, energy and the international situation, which as you know remains very tense,” Peskov \
told reporters, adding that the exact dates would be announced later."""

PUTIN_WITH_QUOTE = PUTIN + "\n\n" + PEKSOV_QUOTE

QUOTE_ANALYSIS = """\
Russia’s rouble weakened past 100 to the dollar on Wednesday as investors weighed new US \
sanctions on Moscow’s main exchange, which halted trading in dollars and euros overnight.

The central bank said it would set an official exchange rate using over-the-counter trades, \
and urged companies and households not to panic.

“Preparations for the visit are under way, and the leaders will have a broad agenda covering \
trade, energy and the international situation, which as you know remains very tense,” Peskov \
told reporters, adding that the exact dates would be announced later.

Traders said the announcement of Putin’s trip to China had done little to support the currency, \
with importers scrambling for yuan."""

# -- The European Central Bank cuts rates ---------------------------------------------------

ECB = """\
FRANKFURT (Wire) — The European Central Bank cut its key interest rate by a quarter of a \
percentage point on Thursday, its first reduction in nearly five years, as inflation in the euro \
zone eased towards its 2% target.

The move lowers the deposit rate to 3.75% from a record high of 4%, where it had stood since \
September last year.

ECB President Christine Lagarde told a news conference that the bank was not pre-committing to a \
particular rate path and that future decisions would depend on incoming data.

“We are not declaring victory over inflation,” Lagarde said. “Price pressures remain strong in \
services, and wage growth is still elevated.”

The bank raised its inflation forecasts for this year and next, now expecting price growth of \
2.5% in 2024 and 2.2% in 2025.

Economists had widely expected the cut after policymakers signalled it repeatedly in recent \
weeks, but markets have scaled back bets on further easing this year.

The euro was little changed against the dollar after the announcement, while yields on German \
government bonds edged higher.

The U.S. Federal Reserve, by contrast, has kept its benchmark rate unchanged at a 23-year high \
and is not expected to begin cutting until later in the year.

The ECB raised rates ten times between July 2022 and September 2023 to tame inflation that \
peaked above 10% after Russia’s invasion of Ukraine sent energy prices soaring."""

# US house style through the whole text: "percent", "eurozone", "toward", days without "on".
ECB_HOUSE_STYLE = """\
The European Central Bank cut its key interest rate by a quarter of a percentage point \
Thursday, its first reduction in nearly five years, as inflation in the eurozone eased toward \
its 2 percent target.

The move lowers the deposit rate to 3.75 percent from a record high of 4 percent, where it had \
stood since September last year.

ECB President Christine Lagarde told a news conference that the bank was not pre-committing to a \
particular rate path and that future decisions would depend on incoming data.

“We are not declaring victory over inflation,” Lagarde said. “Price pressures remain strong in \
services, and wage growth is still elevated.”

The bank raised its inflation forecasts for this year and next, now expecting price growth of \
2.5 percent in 2024 and 2.2 percent in 2025.

Economists had widely expected the cut after policymakers signaled it repeatedly in recent \
weeks, but markets have scaled back bets on further easing this year.

The euro was little changed against the dollar after the announcement, while yields on German \
government bonds edged higher.

The U.S. Federal Reserve, by contrast, has kept its benchmark rate unchanged at a 23-year high \
and is not expected to begin cutting until later in the year.

The ECB raised rates 10 times between July 2022 and September 2023 to tame inflation that \
peaked above 10 percent after Russia’s invasion of Ukraine sent energy prices soaring."""

# A rewritten lede, a paragraph dropped, another reworded, one added at the end.
ECB_REWRITTEN = """\
Euro zone borrowing costs fell on Thursday as the European Central Bank cut its key interest \
rate for the first time in nearly five years.

The move lowers the deposit rate to 3.75% from a record high of 4%, where it had stood since \
September last year.

ECB President Christine Lagarde told a news conference that the bank was not pre-committing to a \
particular rate path and that future decisions would depend on incoming data.

“We are not declaring victory over inflation,” Lagarde said. “Price pressures remain strong in \
services, and wage growth is still elevated.”

The bank raised its inflation forecasts for this year and next, now expecting price growth of \
2.5% in 2024 and 2.2% in 2025.

Most economists had forecast the move, which policymakers had flagged for weeks, although \
traders have since pared their bets on further cuts this year.

The U.S. Federal Reserve, by contrast, has kept its benchmark rate unchanged at a 23-year high \
and is not expected to begin cutting until later in the year.

The ECB raised rates ten times between July 2022 and September 2023 to tame inflation that \
peaked above 10% after Russia’s invasion of Ukraine sent energy prices soaring.

The bank’s next policy meeting is on July 18."""

# The next day: a policymaker's interview, with the decision as background.
ECB_FOLLOW_UP = """\
The European Central Bank is in no hurry to cut interest rates again and may wait until \
September before deciding on a second move, governing council member Robert Holzmann said on \
Friday.

“I see no reason for a cut in July, and I am not even sure about September,” Holzmann told \
Austrian broadcaster ORF, adding that wage growth was still too strong for comfort.

His comments echoed those of several other policymakers who have played down the chances of a \
quick follow-up to Thursday’s decision.

Money markets now price in fewer than two further cuts this year, down from three before the \
meeting.

The move lowers the deposit rate to 3.75% from a record high of 4%, where it had stood since \
September last year.

The ECB raised rates ten times between July 2022 and September 2023 to tame inflation that \
peaked above 10% after Russia’s invasion of Ukraine sent energy prices soaring."""

# Another outlet's own report of the decision, with the same figures and the same short quote.
ECB_OTHER_OUTLET = """\
Europe’s central bank lowered borrowing costs on Thursday for the first time since 2019, taking \
its deposit rate down from 4% to 3.75% after inflation fell back close to target.

But Christine Lagarde, its president, gave little away about what comes next. “We are not \
declaring victory over inflation,” she told reporters in Frankfurt, pointing to stubborn price \
rises in services.

Staff forecasts now see inflation averaging 2.5% this year and 2.2% next, a little higher than \
three months ago.

The decision puts the ECB ahead of the Federal Reserve and the Bank of England, both of which \
are still holding rates at their highest level in decades.

Mortgage holders across the euro zone are expected to see only modest relief, analysts said, as \
banks had already priced in the cut."""

# -- Two pages of one live blog, at two URLs ------------------------------------------------

LIVE_INTRO = """\
Welcome to our live coverage of the war in Ukraine. Russia launched its full-scale invasion in \
February 2022; here are the latest developments as they happen."""

LIVE_PAGE_1 = LIVE_INTRO + """

18:40 GMT: Ukraine’s air force said it shot down 23 of 27 drones launched overnight at the \
Kharkiv and Sumy regions, with debris damaging two houses.

17:15 GMT: The Kremlin said Vladimir Putin will visit China next month for talks with Xi \
Jinping, his second trip to Beijing this year.

15:02 GMT: Germany announced a new military aid package worth 500 million euros, including \
ammunition for air defence systems and armoured vehicles.

13:30 GMT: Ukrainian officials said power was restored to most of Odesa after a missile strike \
on an energy facility left 200,000 homes without electricity."""

LIVE_PAGE_2 = LIVE_INTRO + """

09:55 GMT: Ukraine’s foreign minister said he had spoken with his Chinese counterpart and urged \
Beijing to use its influence on Moscow ahead of Putin’s visit.

08:20 GMT: Russia’s defence ministry said its forces had taken control of a village in the \
Donetsk region, a claim Kyiv did not confirm.

07:45 GMT: Poland scrambled fighter jets overnight as Russia launched a large missile attack on \
western Ukraine, its armed forces said.

06:10 GMT: Emergency services in Dnipro said three people were killed when a missile hit an \
apartment building, and rescuers were searching the rubble.

18:40 GMT: Ukraine’s air force said it shot down 23 of 27 drones launched overnight at the \
Kharkiv and Sumy regions, with debris damaging two houses."""

# -- Two stories from one template ----------------------------------------------------------

QUAKE_CHILE = """\
A magnitude 5.4 earthquake struck off the coast of northern Chile on Tuesday, the U.S. \
Geological Survey said.

The quake hit at a depth of 35 km (22 miles) about 60 km west of Antofagasta at 14:02 GMT.

There were no immediate reports of damage or casualties.

Chile is one of the most seismically active countries in the world, sitting on the Pacific Ring \
of Fire."""

QUAKE_JAPAN = """\
A magnitude 6.1 earthquake struck off the coast of Japan’s Hokkaido island on Wednesday, the \
U.S. Geological Survey said.

The quake hit at a depth of 50 km (31 miles) about 120 km south-east of Kushiro at 03:41 GMT.

There were no immediate reports of damage or casualties.

Japan sits on the Pacific Ring of Fire and accounts for about a fifth of the world’s strongest \
earthquakes."""


COPIES = [
    ("syndicated copy, two paragraphs rewritten", PUTIN, PUTIN_LEDGER),
    ("regional copy with page leftovers", PUTIN, PUTIN_REGIONAL),
    ("shortened to three paragraphs", PUTIN, PUTIN_BRIEF),
    ("copy of a copy", PUTIN_LEDGER, PUTIN_REGIONAL),
    ("shortened copy of a copy", PUTIN_LEDGER, PUTIN_BRIEF),
    ("house style through every paragraph", ECB, ECB_HOUSE_STYLE),
    ("lede rewritten, paragraph dropped and reworded, one added", ECB, ECB_REWRITTEN),
]

# Two copies edited each in its own way are further apart than either is from the wire story:
# they join through it (tests/store/test_stories.py), not directly.
COPIES_THROUGH_THE_ORIGINAL = (ECB, ECB_REWRITTEN, ECB_HOUSE_STYLE)

NEGATIVES = [
    ("follow-up repeating the background", PUTIN, PUTIN_FOLLOW_UP),
    ("follow-up against a copy", PUTIN_LEDGER, PUTIN_FOLLOW_UP),
    ("follow-up against a shortened copy", PUTIN_BRIEF, PUTIN_FOLLOW_UP),
    ("another outlet's report", PUTIN, PUTIN_OTHER_OUTLET),
    ("one long quote in common", PUTIN_WITH_QUOTE, QUOTE_ANALYSIS),
    ("the long quote alone", PUTIN_WITH_QUOTE, PEKSOV_QUOTE),
    ("live blog, next page", LIVE_PAGE_1, LIVE_PAGE_2),
    ("live blog entry and the story it reports", PUTIN, LIVE_PAGE_1),
    ("follow-up with a policymaker's interview", ECB, ECB_FOLLOW_UP),
    ("another outlet's report with the same quote", ECB, ECB_OTHER_OUTLET),
    ("two stories from one template", QUAKE_CHILE, QUAKE_JAPAN),
    ("unrelated stories", PUTIN, ECB),
]
