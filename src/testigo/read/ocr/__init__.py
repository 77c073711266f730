"""Reading the printed figures of a sheet with an offline OCR model.

A CTC text-line recogniser gives, per horizontal step of a field, a
distribution over characters; `ctc` turns those into the probability of any
string the caller cares about (the figure its QR code claims, and the
strings a misread or a forger would put there).
"""
