"""Languages and time zones: the person's choice on their account, their country's defaults, the
rules that pick the language and time zone of each request (DESIGN §8), and the switcher."""
