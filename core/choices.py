"""Choices shared by apps in different layers.

A teacher's subject (学科) lives on the roster (attendance) but a project
proposal (plans) and the schedule (schedule) name subjects too, so the list
sits here, below all of them. The stage (学段) is ``accounts.models.Organisation.Stage``.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    CHINESE = "chinese", _("Chinese")
    MATHS = "maths", _("Mathematics")
    ENGLISH = "english", _("English")
    PHYSICS = "physics", _("Physics")
    CHEMISTRY = "chemistry", _("Chemistry")
    BIOLOGY = "biology", _("Biology")
    MORALITY = "morality", _("Morality and law")
    HISTORY = "history", _("History")
    GEOGRAPHY = "geography", _("Geography")
    SCIENCE = "science", _("Science")
    MUSIC = "music", _("Music")
    PE = "pe", _("Physical education")
    ART = "art", _("Art")
    IT = "it", _("Information technology")
    PSYCHOLOGY = "psychology", _("Mental health")
    PRESCHOOL = "preschool", _("Preschool education")
    OTHER = "other", _("Other subjects")
