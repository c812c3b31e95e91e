"""Realtime: GraphQL subscriptions over `graphql-transport-ws` on `/graphql`.

How an event travels (one concept per module):

    a committed write ─ `events.py` builds the event documents, `log.py` appends them to the
    durable `events` collection (in the write's transaction where there is one)
    → `feed.py`: ONE task per worker reads the log (a change stream with a resume token
      where the server offers them; otherwise it polls the `_id` index every 200 ms)
    → `hub.py`: fans each event out in-process to the matching subscriptions (routing keys,
      then the same scope filter the queries use, evaluated in memory by `match.py`), each
      with a bounded queue: a client that does not keep up is dropped, never buffered forever
    → `api.py` (core subscriptions) and module subscriptions (`ModuleContext.subscribe`).

Sockets: `view.py` + `handler.py` speak the protocol and bind the community's schema after
`connection_init` (`connection.py` authenticates it); `connections.py` keeps the per-worker
list (token expiry, revocation, shutdown) and `presence.py` the per-user limit across workers.
A client resumes after a reconnect by passing the `cursor` of the last event it saw as
`after` (`cursor.py`).
"""
