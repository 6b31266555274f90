package org.cil4j.cli;

import java.util.Locale;
import org.cil4j.train.EpochRecord;
import org.cil4j.train.TrainListener;

/**
 * Progress on the terminal: a line per epoch with loss, accuracy, speed and the time left in
 * the stage; on an interactive terminal also a live line per batch.
 */
final class Progress implements TrainListener {
    private final boolean live = System.console() != null;
    private long lastDraw;

    @Override
    public void onBatch(int phase, String stage, int epoch, int epochs, int batch, int batches, double loss) {
        if (!live) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < 200_000_000L && batch < batches) {
            return;
        }
        lastDraw = now;
        System.err.printf(
                Locale.ROOT,
                "\rphase %d %s epoch %d/%d batch %d/%d loss %.4f   ",
                phase + 1,
                stage,
                epoch,
                epochs,
                batch,
                batches,
                loss);
        System.err.flush();
    }

    @Override
    public void onEpoch(EpochRecord r) {
        if (live) {
            System.err.print("\r");
        }
        double eta = r.seconds() * (r.epochs() - r.epoch());
        StringBuilder losses = new StringBuilder();
        r.losses().forEach((k, v) -> losses.append(String.format(Locale.ROOT, " %s=%.4f", k, v)));
        System.err.printf(
                Locale.ROOT,
                "phase %d %-8s epoch %d/%d lr %.4g%s acc %.1f%% %.0f img/s %.1fs, stage ETA %.0fs%n",
                r.phase() + 1,
                r.stage(),
                r.epoch(),
                r.epochs(),
                r.lr(),
                losses,
                r.trainAccuracy(),
                r.imagesPerSecond(),
                r.seconds(),
                eta);
    }
}
