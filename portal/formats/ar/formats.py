# Django's Arabic formats name the date but not the date and time together: this completes them
# (3 ديسمبر، 2026، 14:05: Western digits as Django writes them, the month in Arabic).
DATETIME_FORMAT = "j F، Y، H:i"
SHORT_DATETIME_FORMAT = "d‏/m‏/Y H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 6  # Saturday
# Django's Arabic formats name the separators but group no digits (NUMBER_GROUPING is left out):
# large numbers would read 4500000.
NUMBER_GROUPING = 3
