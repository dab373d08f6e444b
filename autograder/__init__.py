"""The course's grading side: nbgrader configuration, the checks that hidden tests call, and the instructor CLI.

Students never need this package: the released notebooks contain no hidden tests.
"""
