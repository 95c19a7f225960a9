# Peer support data is deliberately not in Django's admin: contact details must reach only the
# supporter who accepted a request, and the admin site would show them to any superuser.
