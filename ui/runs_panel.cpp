#include "runs_panel.h"

#include <memory>

#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QThread>
#include <QVBoxLayout>

namespace scaleout::ui {

RunsPanel::RunsPanel(QWidget* parent) : QWidget(parent), list_(new QListWidget), status_(new QLabel) {
  setObjectName("runsPanel");
  list_->setObjectName("runsList");
  list_->setToolTip(tr("Tick runs to overlay their loss and accuracy curves (dashed) on the charts"));
  status_->setWordWrap(true);
  auto* refreshButton = new QPushButton(tr("Refresh"));
  auto* clearButton = new QPushButton(tr("Clear overlays"));
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(refreshButton);
  buttons->addWidget(clearButton);
  buttons->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(buttons);
  layout->addWidget(list_, 1);
  layout->addWidget(status_);
  connect(refreshButton, &QPushButton::clicked, this, &RunsPanel::refresh);
  connect(clearButton, &QPushButton::clicked, this, [this] {
    for (int i = 0; i < list_->count(); ++i) list_->item(i)->setCheckState(Qt::Unchecked);
  });
  connect(list_, &QListWidget::itemChanged, this, &RunsPanel::onItemChanged);
  setRoot(defaultRunsRoot());
}

RunsPanel::~RunsPanel() {
  if (job_) {
    job_->wait();
    delete job_;
  }
}

void RunsPanel::setRoot(const QString& root) {
  root_ = root;
  refresh();
}

void RunsPanel::refresh() {
  const QStringList checked = checkedIds();
  QSignalBlocker block(list_);
  list_->clear();
  paths_.clear();
  const QList<RunRecord> runs = root_.isEmpty() ? QList<RunRecord>{} : listRuns(root_);
  for (const RunRecord& r : runs) {
    const QString when = r.started.isValid() ? r.started.toString("yyyy-MM-dd HH:mm:ss") : r.id;
    QString text = r.summary.isEmpty() ? when : QStringLiteral("%1  %2").arg(when, r.summary);
    if (r.finalAccuracy >= 0) text += tr(", test accuracy %1").arg(r.finalAccuracy, 0, 'f', 4);
    const bool current = r.id == currentRun_;
    if (current) text += tr("  (this run)");
    auto* item = new QListWidgetItem(text);
    item->setData(Qt::UserRole, r.id);
    item->setToolTip(r.path);
    if (current) {
      item->setFlags(item->flags() & ~Qt::ItemIsUserCheckable);
    } else {
      item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
      item->setCheckState(checked.contains(r.id) ? Qt::Checked : Qt::Unchecked);
    }
    list_->addItem(item);
    paths_.insert(r.id, r.path);
  }
  status_->setText(runs.isEmpty() ? tr("No runs kept in %1 yet.").arg(QDir::toNativeSeparators(root_))
                                  : tr("%n run(s) in %1", nullptr, static_cast<int>(runs.size())).arg(QDir::toNativeSeparators(root_)));
}

int RunsPanel::runCount() const { return list_->count(); }

void RunsPanel::setCurrentRun(const QString& id) {
  if (id == currentRun_) return;
  currentRun_ = id;
  if (!id.isEmpty()) setChecked(id, false);  // an overlay of itself goes
  refresh();
}

bool RunsPanel::setChecked(const QString& id, bool checked) {
  for (int i = 0; i < list_->count(); ++i)
    if (list_->item(i)->data(Qt::UserRole).toString() == id) {
      list_->item(i)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
      return true;
    }
  return false;
}

QStringList RunsPanel::checkedIds() const {
  QStringList ids;
  for (int i = 0; i < list_->count(); ++i)
    if (list_->item(i)->checkState() == Qt::Checked) ids << list_->item(i)->data(Qt::UserRole).toString();
  return ids;
}

void RunsPanel::onItemChanged(QListWidgetItem*) { loadMissing(); }

void RunsPanel::loadMissing() {
  if (job_) return;  // its completion looks again
  QStringList missing;
  for (const QString& id : checkedIds())
    if (!cache_.contains(id)) missing << id;
  if (missing.isEmpty()) {
    publish();
    return;
  }
  QStringList dirs;
  for (const QString& id : missing) dirs << paths_.value(id);
  auto result = std::make_shared<QList<RunCurves>>();
  auto errors = std::make_shared<QStringList>();
  status_->setText(tr("reading %n run(s)…", nullptr, static_cast<int>(missing.size())));
  job_ = QThread::create([dirs, result, errors] {
    for (const QString& dir : dirs) {
      RunCurves c;
      QString error;
      if (loadRunCurves(dir, c, &error)) *result << c;
      else *errors << error;
    }
  });
  connect(job_, &QThread::finished, this, [this, missing, result, errors] {
    job_->deleteLater();
    job_ = nullptr;
    for (const RunCurves& c : *result) cache_.insert(c.id, c);
    for (const QString& id : missing)
      if (!cache_.contains(id)) cache_.insert(id, RunCurves{id, {}, {}, {}, {}});  // unreadable: do not retry forever
    status_->setText(errors->isEmpty() ? tr("overlaying %n run(s)", nullptr, static_cast<int>(checkedIds().size()))
                                       : errors->join('\n'));
    loadMissing();
  });
  job_->start();
}

void RunsPanel::publish() {
  QList<RunCurves> runs;
  for (const QString& id : checkedIds()) runs << cache_.value(id);
  emit overlaysChanged(runs);
}

}  // namespace scaleout::ui
