"""Teaching: quizzes, lesson sheets, the efficiency story and export formats.
Imports the engine and below.
"""
