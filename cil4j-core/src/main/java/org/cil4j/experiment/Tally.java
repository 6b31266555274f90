package org.cil4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.eval.PhaseEval;

/**
 * A run's results so far, phase by phase: the accuracy matrices and the per-phase results,
 * started empty or from a checkpoint's {@link Metrics}, and the wall clock, which a resumed run
 * continues.
 */
final class Tally {
    final List<PhaseResult> phases = new ArrayList<>();
    AccuracyMatrix cnn = AccuracyMatrix.empty();
    AccuracyMatrix aware = AccuracyMatrix.empty();
    AccuracyMatrix nme;
    private final long t0;

    private Tally(long t0) {
        this.t0 = t0;
    }

    /**
     * @param ckpt the checkpoint a run resumes from, or null
     * @param t0 when this process started the run ({@link System#nanoTime})
     * @return the results the checkpoint holds, or none
     */
    static Tally startingFrom(CheckpointStore.Loaded ckpt, long t0) {
        if (ckpt == null) {
            return new Tally(t0);
        }
        Metrics m = Metrics.read(ckpt);
        Tally t = new Tally(t0 - (long) (m.wallSeconds() * 1e9));
        t.phases.addAll(m.phases());
        t.cnn = m.cnn();
        t.aware = m.taskAware();
        t.nme = m.nme();
        return t;
    }

    /** Adds a phase's rows of the three matrices. */
    void addRows(PhaseEval ev) {
        cnn = cnn.withRow(ev.cnn(), ev.counts());
        aware = aware.withRow(ev.taskAware(), ev.counts());
        if (ev.nme() != null) {
            nme = (nme == null ? AccuracyMatrix.empty() : nme).withRow(ev.nme(), ev.counts());
        }
    }

    /** @return the NME accuracy after phase {@code p}, or null when the method keeps no class means */
    Double nmeAfter(int p) {
        return nme == null || nme.phases() <= p ? null : nme.accuracyAfter(p);
    }

    /** @return seconds since the run started, earlier processes included */
    double wallSeconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** @return the metrics as a checkpoint's manifest stores them */
    JsonNode tree() {
        return Metrics.tree(phases, cnn, aware, nme, wallSeconds());
    }

    /**
     * @param done whether every phase to run is done
     * @param cfg the config
     * @param methodParams the method's resolved parameters
     * @param info the scenario as run
     * @param prov the provenance
     * @return the result so far
     */
    RunResult result(
            boolean done, ExperimentConfig cfg, JsonNode methodParams, RunResult.ScenarioInfo info, Provenance prov) {
        return new RunResult(
                RunResult.FORMAT,
                done,
                cfg,
                methodParams,
                info,
                prov,
                List.copyOf(phases),
                cnn,
                aware,
                nme,
                Experiment.summary(cfg.scenario().multiTask(), cnn, aware, nme),
                wallSeconds());
    }
}
