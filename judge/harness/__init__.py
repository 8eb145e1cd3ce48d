"""The in-sandbox harness: a trusted check runner and the candidate process it talks to by messages.

Nothing in the candidate process can forge a result: assertions, references and expected values live
only in the trusted process, and data crossing between the two is plain JSON plus raw tensor bytes.
"""
