"""Assessments: a team's timed set of problems, invitations that candidates take it with, the
candidates' attempts, feedback while it runs, reports, rejudges and private problem banks.

Modules: errors (the refusals), schemas (every body in and out), tokens (invitation secrets),
clock (a candidate's time), service (the functions routes and pages call), feedback (what a
candidate sees of a result), reports (what a team reads). Which problems a team may see and use is
judge.bank.ownership.
"""
