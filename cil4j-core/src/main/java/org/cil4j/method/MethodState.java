package org.cil4j.method;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.memory.ExemplarMemory;
import org.cil4j.model.IncrementalNet;

/**
 * Everything a method keeps between phases, in one place: the old model (the teacher of the
 * methods that distill), the exemplar memory, the class means of the nearest mean of exemplars,
 * small named matrices (BiC's bias layers, reported with the memory) and any other {@link Part}
 * a method adds (DR's reserved samples, DER++'s buffer, EWC's importance). The experiment saves
 * it into every checkpoint between phases, restores it on resume, reads the class means and the
 * memory report from it and closes it with the method ({@link Method#state}), so a method that
 * keeps what it needs here cannot forget to checkpoint it; {@code EveryMethodResumesTest} holds
 * every registered method to a resume that ends exactly like the straight run.
 */
public final class MethodState implements AutoCloseable {
    /**
     * A piece of a method's state that the standard slots do not cover. It writes and reads its
     * own names, which must not start with {@code memory.}, {@code old.}, {@code means} or
     * {@code rows.}.
     */
    public interface Part extends AutoCloseable {
        /** @param w where to write the part's arrays */
        void save(StateWriter w);

        /**
         * Restores what {@link #save} wrote, before the phase {@code ctx.phase()} runs; a
         * checkpoint after the first phase may hold none of it.
         *
         * @param r the checkpoint
         * @param ctx the phase about to run
         */
        void load(StateReader r, PhaseContext ctx);

        /** @return what the part keeps, for results.json's memory report */
        default Map<String, Object> report() {
            return Map.of();
        }

        /** Frees native memory the part holds. */
        @Override
        default void close() {}

        /**
         * A part from a method's own functions.
         *
         * @param save writes the part
         * @param load restores it
         * @param report reports it
         * @param close frees what it holds
         * @return the part
         */
        static Part of(
                java.util.function.Consumer<StateWriter> save,
                java.util.function.BiConsumer<StateReader, PhaseContext> load,
                java.util.function.Supplier<Map<String, Object>> report,
                Runnable close) {
            return new Part() {
                @Override
                public void save(StateWriter w) {
                    save.accept(w);
                }

                @Override
                public void load(StateReader r, PhaseContext ctx) {
                    load.accept(r, ctx);
                }

                @Override
                public Map<String, Object> report() {
                    return report.get();
                }

                @Override
                public void close() {
                    close.run();
                }
            };
        }
    }

    /** The state of a method that keeps nothing: saves nothing, restores nothing. */
    static final MethodState NONE = new MethodState();

    private final LongFunction<ExemplarMemory> newMemory;
    private final List<Part> parts = new ArrayList<>();
    private ExemplarMemory memory;
    private IncrementalNet old;
    private float[][] means;
    private final Map<String, float[][]> rows = new LinkedHashMap<>();

    /** A state without an exemplar memory. */
    public MethodState() {
        this(null);
    }

    /**
     * @param newMemory makes the method's empty memory from the run's seed ({@link #memory(PhaseContext)}
     *     creates it in the first phase, a resume before restoring it), or null for a method that
     *     keeps no exemplars
     */
    public MethodState(LongFunction<ExemplarMemory> newMemory) {
        this.newMemory = newMemory;
    }

    /**
     * Adds a part, saved, restored, reported and closed with the rest.
     *
     * @param part the part
     * @param <T> its type
     * @return the part
     */
    public <T extends Part> T add(T part) {
        if (this == NONE) {
            throw new IllegalStateException("a method that keeps state makes its own MethodState");
        }
        parts.add(part);
        return part;
    }

    /**
     * @param ctx the phase
     * @return the memory, created empty the first time
     * @throws IllegalStateException for a state made without a memory
     */
    ExemplarMemory memory(PhaseContext ctx) {
        if (memory == null) {
            if (newMemory == null) {
                throw new IllegalStateException("this method keeps no exemplar memory");
            }
            memory = newMemory.apply(ctx.seed());
        }
        return memory;
    }

    /** @return the memory, or null before the first phase or without rehearsal */
    ExemplarMemory memory() {
        return memory;
    }

    /** @return the model as it was after the previous phase, or null in the first phase */
    IncrementalNet old() {
        return old;
    }

    /**
     * The old model of a phase after the first, which a method cannot train without: its absence
     * means the state between phases was lost (a resume that did not restore it), and training
     * on would silently be fine-tuning.
     *
     * @param ctx the phase being trained (not the first)
     * @return the model as it was after the previous phase
     */
    IncrementalNet requireOld(PhaseContext ctx) {
        if (old == null) {
            throw new IllegalStateException("phase " + (ctx.phase() + 1) + " has no old model: the method's state "
                    + "after phase " + ctx.phase() + " was not kept or not restored");
        }
        return old;
    }

    /** @return the class means for the nearest mean of exemplars, or null when the method keeps none */
    public float[][] means() {
        return means;
    }

    /** @param m the class means to keep */
    void means(float[][] m) {
        means = m;
    }

    /**
     * @param name a name
     * @return the rows kept under it, or null
     */
    float[][] rows(String name) {
        return rows.get(name);
    }

    /**
     * Keeps a small matrix, saved with the rest and reported under its name.
     *
     * @param name a name
     * @param r the rows, of equal length
     */
    void rows(String name, float[][] r) {
        rows.put(name, r);
    }

    /**
     * Replaces the old model by a frozen copy of the network.
     *
     * @param net the network after the phase
     */
    void snapshot(IncrementalNet net) {
        if (this == NONE) {
            throw new IllegalStateException("a method that keeps state makes its own MethodState");
        }
        if (old != null) {
            old.close();
        }
        old = net.frozenCopy();
    }

    /**
     * Writes the whole state into a checkpoint between phases.
     *
     * @param w where to write
     */
    public void save(StateWriter w) {
        if (memory != null) {
            memory.save(w, "memory.");
        }
        if (old != null) {
            w.putAll("old.", old.params().all());
        }
        if (means != null) {
            w.putRows("means", means);
        }
        rows.forEach((name, r) -> w.putRows("rows." + name, r));
        parts.forEach(p -> p.save(w));
    }

    /**
     * Restores what {@link #save} wrote, on a fresh method, before the phase {@code ctx.phase()}
     * runs. The network of {@code ctx} already holds the weights after the previous phase.
     *
     * @param r the checkpoint
     * @param ctx the phase being resumed
     */
    public void load(StateReader r, PhaseContext ctx) {
        memory = null;
        if (newMemory != null) {
            memory(ctx).load(r, "memory.", (name, c) -> ctx.storedSamples(r, name, c, "exemplar"));
        }
        if (r.names().stream().anyMatch(n -> n.startsWith("old."))) {
            snapshot(ctx.net());
            r.copyInto("old.", old.params().all());
        }
        means = r.has("means") ? r.rows("means") : null;
        rows.clear();
        for (String n : r.names()) {
            if (n.startsWith("rows.")) {
                rows.put(n.substring("rows.".length()), r.rows(n));
            }
        }
        for (Part p : parts) {
            p.load(r, ctx);
        }
    }

    /** @return what the state keeps, for results.json's memory report */
    public Map<String, Object> report() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (memory != null) {
            out.putAll(memory.report());
        }
        out.putAll(rows);
        parts.forEach(p -> out.putAll(p.report()));
        return out;
    }

    @Override
    public void close() {
        if (old != null) {
            old.close();
            old = null;
        }
        parts.forEach(Part::close);
    }
}
