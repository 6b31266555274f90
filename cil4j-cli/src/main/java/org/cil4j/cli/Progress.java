package org.cil4j.cli;

import java.io.Console;
import java.util.Locale;
import org.cil4j.train.EpochRecord;
import org.cil4j.train.TrainListener;

/**
 * Progress on the terminal: a line per epoch with loss, accuracy, speed and the time left in
 * the stage; on an interactive terminal also a live line per batch.
 */
final class Progress implements TrainListener {
    private final boolean live = interactive();
    private long lastDraw;

    /**
     * Whether this process runs on an interactive terminal. Up to JDK 21 that is whether there is
     * a console at all; from JDK 22 on there is one even with redirected streams, and {@code
     * Console.isTerminal()} (JDK 22+, so called reflectively from this Java 17 build) says it.
     */
    // the null check is the answer only before JDK 22; from 22 on isTerminal() is asked below
    @SuppressWarnings("SystemConsoleNull")
    static boolean interactive() {
        Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (NoSuchMethodException e) {
            return true; // before JDK 22 a console exists only on a terminal
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

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
