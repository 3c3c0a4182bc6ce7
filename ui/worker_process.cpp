#include "worker_process.h"

#include <QCoreApplication>

namespace scaleout::ui {

QStringList workerArguments(const WorkerLaunch& launch) {
  QStringList args{"worker", "--zk", launch.zkHosts.trimmed(), "--cluster",
                   launch.cluster.trimmed().isEmpty() ? QStringLiteral("default") : launch.cluster.trimmed(),
                   "--threads", QString::number(launch.threads)};
  // Security on: the worker uses this user's CURVE keys (~/.config/scaleout/curve), which
  // a master run by the same user accepts with no flags (docs/cluster.md, "Security").
  if (!launch.security) args << "--insecure";
  return args;
}

WorkerProcess::WorkerProcess(QObject* parent) : QObject(parent), program_(QCoreApplication::applicationFilePath()) {
  process_.setProcessChannelMode(QProcess::MergedChannels);
  connect(&process_, &QProcess::readyReadStandardOutput, this, &WorkerProcess::readOutput);
  connect(&process_, &QProcess::started, this, [this] { emit started(process_.processId()); });
  connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
    if (error == QProcess::FailedToStart) {
      emit line(tr("could not start %1: %2").arg(program_, process_.errorString()));
      emit finished(-1, true, false);
    }
  });
  connect(&process_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
    killTimer_.stop();
    readOutput();
    if (!pending_.isEmpty()) emit line(pending_);
    pending_.clear();
    emit finished(code, status == QProcess::CrashExit, killed_);
  });
  killTimer_.setSingleShot(true);
  connect(&killTimer_, &QTimer::timeout, this, [this] {
    if (!isRunning()) return;
    killed_ = true;
    emit line(tr("worker did not stop within %1 s; killing it").arg(killAfterMs_ / 1000.0, 0, 'f', 1));
    process_.kill();
  });
}

WorkerProcess::~WorkerProcess() {
  // Whoever listened may be half destroyed already: end the child without telling them.
  QObject::disconnect(&process_, nullptr, this, nullptr);
  stopAndWait();
}

bool WorkerProcess::start(const WorkerLaunch& launch) {
  if (isRunning()) return false;
  killed_ = false;
  pending_.clear();
  process_.start(program_, workerArguments(launch));
  return true;
}

QString WorkerProcess::commandLine() const { return (QStringList{program_} + process_.arguments()).join(' '); }

void WorkerProcess::stop() {
  if (!isRunning()) return;
  process_.terminate();
  killTimer_.start(killAfterMs_);
}

void WorkerProcess::stopAndWait() {
  if (!isRunning()) return;
  process_.terminate();
  if (!process_.waitForFinished(killAfterMs_)) {
    killed_ = true;
    process_.kill();
    process_.waitForFinished(1000);
  }
}

void WorkerProcess::readOutput() {
  pending_ += QString::fromLocal8Bit(process_.readAllStandardOutput());
  qsizetype nl;
  while ((nl = pending_.indexOf('\n')) >= 0) {
    emit line(pending_.left(nl).trimmed());
    pending_.remove(0, nl + 1);
  }
}

}  // namespace scaleout::ui
