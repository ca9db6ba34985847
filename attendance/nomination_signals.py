"""What happens to a nomination (提名), told to the apps above attendance
(notices), which connect their receivers in AppConfig.ready().

``nomination_changed`` is sent with sender=Enrolment, inside the deciding
transaction, with:

* ``enrolment``: the Enrolment as it is now;
* ``event``: one of EVENTS below;
* ``user``: who acted;
* ``replacement``: for "replaced", the new teacher's Enrolment (else None).
"""
from django.dispatch import Signal

NOMINATED = "nominated"      # the school put the teacher forward
CONFIRMED = "confirmed"      # the organiser gave the teacher a place
WAITLISTED = "waitlisted"    # the organiser confirmed, but the project was full
DECLINED = "declined"        # the organiser refused the nomination
WITHDRAWN = "withdrawn"      # the school (or organiser) took the nomination back
REPLACED = "replaced"        # the school swapped the teacher for another of its teachers
EVENTS = (NOMINATED, CONFIRMED, WAITLISTED, DECLINED, WITHDRAWN, REPLACED)

nomination_changed = Signal()
