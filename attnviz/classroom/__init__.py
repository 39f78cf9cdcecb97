"""Class mode's state outside any one process: class sessions, quiz questions and the students' answers
(``store``)."""
