#pragma once
// RunsPanel: the runs kept in the runs root, newest first, each with a check box; the
// checked runs' loss and accuracy curves are read (off the GUI thread, cached) and handed
// on with overlaysChanged() for the live charts to draw under the current run.
#include <QHash>
#include <QList>
#include <QWidget>

#include "run_history.h"

class QLabel;
class QListWidget;
class QListWidgetItem;
class QThread;

namespace scaleout::ui {

class RunsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RunsPanel(QWidget* parent = nullptr);
  ~RunsPanel() override;  // waits for a load in progress

  void setRoot(const QString& root);
  QString root() const { return root_; }
  void refresh();  // re-list the runs (checked ones stay checked)
  // The run in progress (its directory name; "" when none): listed, but not offered as an
  // overlay, since its own curves are already on the charts.
  void setCurrentRun(const QString& id);

  QListWidget* list() const { return list_; }
  int runCount() const;
  bool setChecked(const QString& id, bool checked);  // false if no such run
  QStringList checkedIds() const;
  bool isLoading() const { return job_ != nullptr; }

 signals:
  void overlaysChanged(const QList<scaleout::ui::RunCurves>& runs);

 private:
  void onItemChanged(QListWidgetItem* item);
  void loadMissing();
  void publish();

  QString root_;
  QString currentRun_;
  QListWidget* list_;
  QLabel* status_;
  QHash<QString, RunCurves> cache_;
  QHash<QString, QString> paths_;
  QThread* job_ = nullptr;
};

}  // namespace scaleout::ui
