#!/usr/bin/env python3
"""generate.py KIND OUT.csv — the CSV data of the mass samples, the same bytes on every run.

KIND is one of
  contacts   S15: 600 contacts, their cities and contract numbers often misspelt
             (Моква, Мсква, Масква, москва; the prefix Дезрем as Дизрем, Дезерм, дезрем)
  idle       S16: 14,250 contacts with the stages of their deals; exactly 9,612 of them
             have no active deal (none before "Сделка успешна" / "Сделка провалена")
  companies  S17: 1,000 companies, most with a holding marker in the name ("ГК Альфа")
  deals      S14: 16,000 imported deals at every stage of the pipeline

The numbers come from a fixed linear congruential generator (not Python's random, whose
algorithms may change between versions), so the files are the same on any machine.
Standard library only.
"""
import sys

class Lcg:
    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def next(self):
        # Numerical Recipes' constants; the high bits are the better ones.
        self.state = (1664525 * self.state + 1013904223) & 0xFFFFFFFF
        return self.state >> 8

    def below(self, n):
        return self.next() % n

    def pick(self, items):
        return items[self.below(len(items))]

    def chance(self, percent):
        return self.below(100) < percent


FIRST = ["Иван", "Пётр", "Анна", "Ольга", "Сергей", "Мария", "Дмитрий", "Елена", "Алексей",
         "Наталья", "Андрей", "Татьяна", "Михаил", "Ирина", "Николай", "Светлана", "Юлия",
         "Владимир", "Екатерина", "Григорий"]
LAST = ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов",
        "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
        "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов"]
FEMININE = {"Анна", "Ольга", "Мария", "Елена", "Наталья", "Татьяна", "Ирина", "Светлана",
            "Юлия", "Екатерина"}


def person(r):
    first = r.pick(FIRST)
    last = r.pick(LAST)
    if first in FEMININE:
        last = last + "а"
    return "%s %s" % (last, first)


def cell(text):
    """A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line end."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write(out, header, rows):
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(cell(c) for c in row) + "\n")


def contacts(r):
    cities = ["Москва"] * 6 + ["Моква", "Мсква", "Масква", "москва", " Мсква ", "Тула",
                               "Санкт-Петербург", "Казань", "Подольск", "Химки"]
    prefixes = ["Дезрем"] * 5 + ["Дизрем", "Дезерм", "дезрем"]
    for i in range(1, 601):
        name = person(r)
        if r.chance(10):
            name = name + ", ИП"
        yield [name, r.pick(cities), "%s-%04d" % (r.pick(prefixes), r.below(10000))]


ACTIVE = ["Новая", "Подготовка документов", "Счёт на предоплату", "В работе", "Финальный счёт"]
CLOSED = ["Сделка успешна", "Сделка провалена"]


def idle(r):
    total, idle_count = 14250, 9612
    flags = [True] * idle_count + [False] * (total - idle_count)
    for i in range(total - 1, 0, -1):  # Fisher-Yates
        j = r.below(i + 1)
        flags[i], flags[j] = flags[j], flags[i]
    managers = ["m_orlova", "m_belov", "m_zaitseva", "m_gromov", "m_lisina", "m_fomin"]
    for is_idle in flags:
        n = r.below(4)
        stages = [r.pick(CLOSED) for _ in range(n)]
        if not is_idle:
            stages.insert(r.below(n + 1), r.pick(ACTIVE))
        yield [person(r), r.pick(managers), "; ".join(stages)]


HOLDINGS = ["Альфа", "Вектор", "Север", "Гранит", "Меридиан"]


def companies(r):
    words = ["Строй", "Техно", "Агро", "Металл", "Лес", "Транс", "Энерго", "Мед", "Хим", "Пром"]
    ends = ["ресурс", "сервис", "комплект", "снаб", "маш", "торг", "инвест", "групп"]
    forms = ["ООО", "АО", "ПАО", "ООО", "ИП"]
    for i in range(1, 1001):
        base = '%s "%s%s-%d"' % (r.pick(forms), r.pick(words), r.pick(ends), 1 + r.below(99))
        kind = r.below(10)
        holding = r.pick(HOLDINGS)
        if kind < 3:
            title = "%s (ГК %s)" % (base, holding)
        elif kind < 5:
            title = "ГК %s — %s" % (holding, base)
        elif kind < 6:
            title = "%s [гк %s]" % (base, holding.lower())
        elif kind < 7:
            title = "%s (ГК  %s)" % (base, holding.upper())  # two blanks, capitals
        elif kind < 8:
            title = "%s (ГК Юг)" % base  # a holding not in the list
        else:
            title = base
        yield [title, ""]


def deals(r):
    stages = ["Новая"] * 5 + ["Первичный контакт", "Переговоры", " Переговоры", "Передана партнёру",
                              "Передана партнёру", "Сделка успешна", "Сделка провалена"]
    refusals = ["нет"] * 8 + ["", "Да", "да", "yes", "Нет"]
    managers = ["kate", "oleg", "rita", "ivan", "zoya"]
    partners = ["pm_sever", "pm_vektor", "pm_granit"]
    for i in range(1, 16001):
        callback = ""
        if r.chance(20):
            callback = "2026-03-%02dT%02d:%02d" % (2 + r.below(27), 9 + r.below(9), 15 * r.below(4))
        yield ["Сделка %05d" % i, "ООО Клиент-%d" % (1 + r.below(4000)), r.pick(managers),
               r.pick(partners), r.pick(stages), callback, r.pick(refusals), ""]


KINDS = {
    "contacts": (15, ["name", "city", "contract"], contacts),
    "idle": (16, ["name", "responsible", "deal_stages"], idle),
    "companies": (17, ["title", "holding"], companies),
    "deals": (14, ["title", "company", "responsible", "partner_manager", "stage",
                   "callback_at", "refusal", "processes"], deals),
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in KINDS:
        sys.stderr.write("usage: generate.py contacts|idle|companies|deals OUT.csv\n")
        sys.exit(2)
    seed, header, rows = KINDS[sys.argv[1]]
    write(sys.argv[2], header, rows(Lcg(seed)))
