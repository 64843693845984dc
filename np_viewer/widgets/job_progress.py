"""The status bar's job indicator: the newest cancellable job (an export, a fit) with its message,
a progress bar (a fraction when the job knows one) and a Cancel button."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ..jobs import Job, JobService


class JobProgress(QWidget):
    def __init__(self, jobs: JobService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.job: Job | None = None
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this job (a fit keeps the best parts so far)")
        self.cancel_button.clicked.connect(self.cancel)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.label, self.bar, self.cancel_button):
            lay.addWidget(w)
        jobs.started.connect(self._on_started)
        jobs.progressed.connect(self._on_progress)
        jobs.finished.connect(self._on_finished)
        self.setVisible(False)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.label.setText(f"{self.job.title}: stopping…")
            self.cancel_button.setEnabled(False)

    def _on_started(self, job: Job) -> None:
        if job.cancellable:
            self.job = job
            self.cancel_button.setEnabled(True)
            self._show(job)
            self.setVisible(True)

    def _on_progress(self, job: Job) -> None:
        if job is self.job:
            self._show(job)

    def _show(self, job: Job) -> None:
        if not job.cancel_requested:
            self.label.setText(job.message or job.title)
        if job.fraction is None:
            self.bar.setRange(0, 0)            # busy indicator
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * min(max(job.fraction, 0.0), 1.0)))

    def _on_finished(self, job: Job) -> None:
        if job is not self.job:
            return
        self.job = None
        running = [j for j in self.jobs.active() if j.cancellable]
        if running:
            self._on_started(running[-1])
        else:
            self.setVisible(False)
