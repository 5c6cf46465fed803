"""Background work of the directory, run by `dnscc worker` through the Django tasks API.

The contact-verification mail is no longer sent from here: it is an outbox message
(dnscc.outreach.services.queue_contact_verification) like every other outbound message.
"""
