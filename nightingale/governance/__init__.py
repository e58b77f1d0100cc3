"""Governance: who may ask for what, who approves, what is recorded, what may leave.

Modules, one job each:

- :mod:`.models` the tables; :mod:`.states` the state machines (explicit transitions);
- :mod:`.policy` THE one place that decides every action for every role;
- :mod:`.audit` the append-only keyed hash chain (``record``, ``verify``);
- :mod:`.people`, :mod:`.projects`, :mod:`.requests`, :mod:`.approvals`,
  :mod:`.releases`, :mod:`.outputs` (the airlock), :mod:`.publishing`,
  :mod:`.enforcement` the typed API the CLI and the web service share;
- :mod:`.datasets` providers and their classification (health is special category;
  lowering one takes two people); :mod:`.rounds` what a request's submission binds (its
  spec's hash, the datasets it reads and names as classified then);
- :mod:`.sdc` disclosure-control rules, :mod:`.tables` the workspace helpers that build
  tables together with what the rules need, :mod:`.mitigation` suppression and rounding;
- :mod:`.passwords` argon2id hashing; :mod:`.settings` per-deployment thresholds;
- :mod:`.facts` turns rows into the policy's facts; :mod:`.acting` the opening every
  action shares (who acts, the policy's answer, the audited refusal); :mod:`.service` the
  clock, look-ups, row locks and refusals underneath; :mod:`.errors` the refusals by type.

Every action function takes the session and keystore first, checks the policy, changes
state through :mod:`.states`, and audits. A refused action rolls back the session's
transaction, commits an audited ``*.refused`` entry on its own and raises
:class:`~.errors.PermissionDenied` (or :class:`~.errors.InvalidInput` /
:class:`~.errors.InvalidTransition`): so call each action in its own unit of work.
"""
