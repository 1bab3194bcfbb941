"""From a VoIPbin account to a scenario, and back.

- ``sim.voipbin.resources``: read VoIPbin REST API list responses (``{"result": [...],
  "next_page_token": ...}``), recognise each page's resource by its fields, check every record
  against the resource's ``WebhookMessage`` shape (voipbin/monorepo), both timestamp formats.
- ``sim.voipbin.importer``: campaigns, outplans, outdials and targets, queues, flows and agents
  -> a scenario YAML (every imported value commented with its resource and id) + targets CSV.
- ``sim.voipbin.fit``: calls, campaigncalls and queuecalls -> ``population:`` and ``agents:``
  blocks by maximum likelihood (scipy), patience with served callers right-censored.
- ``sim.voipbin.export``: a run's calls written back in VoIPbin's record shapes (the round trip).
"""

from sim.voipbin.resources import Account, RecordError, read_account

__all__ = ["Account", "RecordError", "read_account"]
