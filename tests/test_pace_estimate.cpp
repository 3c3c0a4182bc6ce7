// PaceEstimate: a worker's samples per second of compute, from its results. The cold first
// result is replaced by the second; after that results weigh by their samples, so a short
// task measured in a CPU-quota burst does not double a worker's share.
#include <cmath>

#include <QtTest>

#include "train/pace_estimate.h"

using namespace scaleout;

class TestPaceEstimate : public QObject {
  Q_OBJECT

 private slots:
  void nothingMeasuredIsZero() {
    PaceEstimate p;
    QCOMPARE(p.samplesPerSecond(), 0.0);
    p.add(0, 1.0);  // a result that trained nothing measures nothing
    p.add(100, 0.0);
    QCOMPARE(p.measured(), 0);
    QCOMPARE(p.samplesPerSecond(), 0.0);
  }

  // The first task runs cold at half speed: the second's pace replaces it outright.
  void secondResultReplacesTheColdFirst() {
    PaceEstimate p;
    p.add(1000, 0.2);  // 5000/s, cold
    QCOMPARE(p.samplesPerSecond(), 5000.0);
    p.add(1000, 0.1);  // 10000/s
    QCOMPARE(p.samplesPerSecond(), 10000.0);
    QCOMPARE(p.measured(), 2);
  }

  // Tasks of one size: each new result weighs a fifth, like the exponential average of
  // paces it replaced (8000 then 12000: 0.8 x 8000 + 0.2 x 12000 would be 8800).
  void equalTasksMoveByAFifth() {
    PaceEstimate p;
    p.add(800, 0.1);
    p.add(800, 0.1);   // 8000/s
    p.add(1200, 0.1);  // 12000/s over the same compute
    const double expected = (0.8 * 800 + 1200) / (0.8 * 0.1 + 0.1);
    QVERIFY(std::abs(p.samplesPerSecond() - expected) < 1e-9);
    QVERIFY(p.samplesPerSecond() > 8000 && p.samplesPerSecond() < 12000);
  }

  // A quota-bound worker (half a core): 500-sample tasks fit in one quota period and run
  // at 24000/s; long ones run at 12000/s. One long task after the short ones brings the
  // estimate within 5% of the long pace; averaging paces per result was still 20% high
  // (0.8 x 24000 + 0.2 x 12000 = 21600) and took fourteen long tasks to come within 5%.
  void shortBurstsDoNotOutweighLongTasks() {
    PaceEstimate p;
    p.add(500, 500.0 / 24000);
    p.add(500, 500.0 / 24000);
    QCOMPARE(p.samplesPerSecond(), 24000.0);
    p.add(10000, 10000.0 / 12000);
    QVERIFY2(std::abs(p.samplesPerSecond() / 12000 - 1) < 0.05, qPrintable(QString::number(p.samplesPerSecond())));
  }
};

QTEST_GUILESS_MAIN(TestPaceEstimate)
#include "test_pace_estimate.moc"
