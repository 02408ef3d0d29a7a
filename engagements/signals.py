"""What the apps above the engagements (the gateway's policies) act on."""

from django.dispatch import Signal

# Sent inside the transaction of an engagement's move when the country's standing for the gateway
# changes (engagements.selectors.Standing: its engagement becomes active, suspended, or neither, as
# when it is closed): its environments take calls only while it is active.
# Sender: the Country's id; `standing`: the new Standing.
engagement_standing = Signal()
