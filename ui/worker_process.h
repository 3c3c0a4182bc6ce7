#pragma once
// WorkerProcess: a local headless worker (`scaleout worker ...`) as a child QProcess of
// the app, its stdout and stderr merged and reported line by line. stop() asks it to end
// (SIGTERM: the worker leaves its master cleanly) and kills it if it has not ended
// within the bound; the destructor does the same, waiting at most that bound.
#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTimer>

namespace scaleout::ui {

struct WorkerLaunch {
  QString zkHosts;        // HOST:PORT[,HOST:PORT...]
  QString cluster = "default";
  int threads = 1;
  bool security = true;   // the Security checkbox; off means --insecure
};

// The one place the worker's command line is built (`scaleout` is not included).
QStringList workerArguments(const WorkerLaunch& launch);

class WorkerProcess : public QObject {
  Q_OBJECT
 public:
  explicit WorkerProcess(QObject* parent = nullptr);
  ~WorkerProcess() override;

  // Default: this application's own executable (QCoreApplication::applicationFilePath()).
  void setProgram(const QString& program) { program_ = program; }
  QString program() const { return program_; }
  void setKillAfterMs(int ms) { killAfterMs_ = ms; }

  bool start(const WorkerLaunch& launch);  // false if one is running already
  void stop();                             // asynchronous; finished() follows
  bool isRunning() const { return process_.state() != QProcess::NotRunning; }
  qint64 processId() const { return process_.processId(); }
  QStringList arguments() const { return process_.arguments(); }
  QString commandLine() const;
  // Blocks at most killAfterMs + 1 s: for quitting the app.
  void stopAndWait();

 signals:
  void started(qint64 pid);
  void line(const QString& text);
  void finished(int exitCode, bool crashed, bool killed);

 private:
  void readOutput();

  QProcess process_;
  QString program_;
  QString pending_;
  QTimer killTimer_;
  int killAfterMs_ = 3000;
  bool killed_ = false;
};

}  // namespace scaleout::ui
