"""Cashback's HTTP routes, one module per resource, each with its own router: a business's staff
(``my_business``, ``statements``, ``purchases``, ``redemptions``), residents (``wallet``) and the
city's clerks (``merchants``, ``campaigns``, ``flags``). ``cashback.routers`` lists them in the order
the app mounts them. HTTP only: parse, authorise, call the service, shape the answer.
"""
