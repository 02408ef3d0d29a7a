"""Date and time formats where Django's own do not fit the portal (FORMAT_MODULE_PATH): English
as GOV.UK writes dates (3 December 2026), Arabic with a date-and-time format of its own, Swahili,
for which Django has none. Every other language keeps Django's formats (django/conf/locale). Pages
name a format (date:"DATE_FORMAT"), never a fixed pattern, so each reader sees their own."""
