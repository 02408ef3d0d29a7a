"""What the apps above the engagements (the gateway's policies) act on."""

from django.dispatch import Signal

# Sent inside the transaction of an engagement's move when the country's environments must stop
# taking calls (suspended=True: the engagement is suspended) or may take them again (False: it is
# reinstated, or closed while suspended). Sender: the Country's id.
engagement_suspension = Signal()
