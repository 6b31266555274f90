package org.cil4j.serve.app;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.data.ImageDataset;
import org.cil4j.eval.Evaluator;
import org.cil4j.eval.PhaseEval;
import org.cil4j.experiment.Checkpointing;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Methods;
import org.cil4j.method.Method;
import org.cil4j.method.PhaseContext;
import org.cil4j.model.IncrementalNet;
import org.cil4j.scenario.Scenario;
import org.cil4j.serve.store.Rows;
import org.cil4j.train.EpochRecord;
import org.cil4j.train.Normalization;
import org.cil4j.train.TrainListener;
import org.cil4j.train.Trainer;

/**
 * Runs one phase of a classifier with the library: the scenario is built from the database (the
 * classes in head order, the phases so far plus this one), the training data from the samples
 * the previous phase kept and the uploads of this one, and the method, trainer and checkpoints
 * are the library's own. The phase writes the new version's files (network and method state)
 * and says which training samples the method keeps.
 *
 * <p>The method's exemplar memory is stored as positions among each class's training samples
 * ({@code memory.class.<c>}, see {@link org.cil4j.memory.ExemplarMemory#save}). Each phase lays a
 * class's kept samples first, in their rank, so the positions the method loads are {@code 0..k-1}
 * for the {@code k} samples the database still keeps: an erased sample is gone from the memory
 * the next phase loads, and no pixel lives in a version's files.
 */
public final class PhaseRunner {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PhaseRunner.class);
    static final Pattern MEMORY = Pattern.compile("^(.*)memory\\.class\\.(\\d+)$");
    static final String NET_FILE = "net.ndlist";
    static final String METHOD_FILE = "method.ndlist";

    /**
     * One phase's inputs.
     *
     * @param jobId the job
     * @param spec the classifier
     * @param prevHeads classes per phase of the previous version (empty for the first)
     * @param prevDir the previous version's files, or null
     * @param norm the classifier's input normalization, or null in the first phase
     * @param classNames class names in head order (old and new)
     * @param train per head: its training samples, kept ones first in rank order
     * @param kept per head: how many of {@code train}'s first samples are kept ones
     * @param val validation samples and their heads
     * @param valHeads the head of each validation sample
     * @param newClasses classes this phase adds
     * @param memory exemplars the budget allows
     * @param jobDir where the phase's checkpoints go
     * @param pixels reads a sample's pixels
     */
    public record Input(
            String jobId,
            ClassifierSpec spec,
            List<Integer> prevHeads,
            Path prevDir,
            Normalization norm,
            List<String> classNames,
            List<List<Rows.Sample>> train,
            int[] kept,
            List<Rows.Sample> val,
            int[] valHeads,
            int newClasses,
            long memory,
            Path jobDir,
            Function<String, byte[]> pixels) {
        /** @return the phase index */
        public int phase() {
            return prevHeads.size();
        }

        /** @return classes after the phase */
        public int seen() {
            return classNames.size();
        }
    }

    /**
     * What a phase produced.
     *
     * @param heads classes per phase, this one included
     * @param norm the normalization used
     * @param keptIds per head: the sample ids the method keeps, best first
     * @param eval accuracies on the validation samples (null without any)
     * @param epochs the epoch log
     * @param bytes size of the version's files
     */
    public record Output(
            List<Integer> heads,
            Normalization norm,
            List<List<String>> keptIds,
            PhaseEval eval,
            List<EpochRecord> epochs,
            long bytes) {}

    private PhaseRunner() {}

    /**
     * Trains the phase and writes the version's files into {@code out} (which must not exist).
     *
     * @param in the phase
     * @param out the version folder to create
     * @param listener progress
     * @return the result
     */
    public static Output run(Input in, Path out, TrainListener listener) {
        ClassifierSpec spec = in.spec();
        int phase = in.phase();
        ImageDataset train = dataset("train", in.train(), in.classNames(), spec, in.pixels());
        Normalization norm = in.norm() != null ? in.norm() : Normalization.of(train);
        List<Integer> heads = new ArrayList<>(in.prevHeads());
        heads.add(in.newClasses());
        int[] order = new int[in.seen()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Scenario scenario =
                new Scenario(order, heads.stream().mapToInt(Integer::intValue).toArray(), false, in.classNames());
        List<EpochRecord> log = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager();
                Method method = Methods.create(spec.methodFor(in.memory(), in.seen()));
                IncrementalNet net =
                        IncrementalNet.create(spec.model(), spec.channels(), spec.imageSize(), spec.seed(), root)) {
            Trainer trainer = new Trainer(root, norm, spec.train().momentum(), spec.seed(), listener);
            for (int h : in.prevHeads()) {
                net.addHead(h);
            }
            if (in.prevDir() != null) {
                try (StateReader r = new StateReader(
                        in.prevDir().resolve(NET_FILE).toString(),
                        read(in.prevDir().resolve(NET_FILE)),
                        root)) {
                    r.copyInto("net.", net.params().all());
                }
                byte[] state = remapMemory(read(in.prevDir().resolve(METHOD_FILE)), in.kept(), root);
                try (StateReader r =
                        new StateReader(in.prevDir().resolve(METHOD_FILE).toString(), state, root)) {
                    method.state()
                            .load(
                                    r,
                                    new PhaseContext(
                                            phase,
                                            scenario,
                                            net,
                                            train,
                                            spec.train(),
                                            trainer,
                                            root,
                                            spec.seed(),
                                            new ArrayList<>()));
                }
            }
            CheckpointStore store = new CheckpointStore(in.jobDir().resolve("checkpoints"));
            // an ObjectNode keeps its keys in order; Map.of's order changes from one JVM to the next,
            // and a restarted service then found no checkpoint of its own
            JsonNode fingerprint = ConfigLoader.MAPPER
                    .createObjectNode()
                    .put("job", in.jobId())
                    .put("data", fingerprint(in));
            String hash =
                    CheckpointStore.sha256(fingerprint.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            CheckpointStore.Loaded ckpt = store.newest()
                    .filter(c -> c.manifest().phase() == phase
                            && hash.equals(c.manifest().configHash()))
                    .orElse(null);
            if (ckpt != null) {
                LOG.info(
                        "phase {} resumes from its checkpoint {}: stage {} after epoch {}",
                        in.jobId(),
                        ckpt.dir(),
                        ckpt.manifest().stage() + 1,
                        ckpt.manifest().epoch());
            }
            Checkpointing ck = new Checkpointing(
                    store,
                    1,
                    hash,
                    fingerprint,
                    root,
                    () -> 0,
                    ckpt == null ? 1 : ckpt.manifest().seq() + 1,
                    ckpt == null ? null : Checkpointing.Plan.of(ckpt));
            ck.beginPhase(phase, net, method, ConfigLoader.MAPPER.createObjectNode());
            net.addHead(in.newClasses());
            PhaseContext ctx =
                    new PhaseContext(phase, scenario, net, train, spec.train(), trainer, root, spec.seed(), log, ck);
            method.train(ctx);
            method.afterPhase(ctx);
            PhaseEval eval = null;
            if (!in.val().isEmpty()) {
                ImageDataset val = dataset("val", in.val(), in.valHeads(), in.classNames(), spec, in.pixels());
                eval = Evaluator.evaluate(
                        root, net, val, scenario, phase, norm, spec.train().evalBatchSize(), null);
            }
            Map<String, byte[]> files = new LinkedHashMap<>();
            try (StateWriter w = new StateWriter(root)) {
                files.put(NET_FILE, w.putAll("net.", net.params().all()).encode());
            }
            try (StateWriter w = new StateWriter(root)) {
                method.state().save(w);
                files.put(METHOD_FILE, w.encode());
            }
            List<List<String>> keptIds = keptIds(files.get(METHOD_FILE), in.train(), root);
            long bytes = writeVersion(out, files);
            org.cil4j.engine.NativeMemory.release();
            return new Output(heads, norm, keptIds, eval, log, bytes);
        }
    }

    /** The method state with each class's memory positions renumbered to the samples still kept. */
    static byte[] remapMemory(byte[] state, int[] kept, NDManager root) {
        try (StateReader r = new StateReader(METHOD_FILE, state, root);
                StateWriter w = new StateWriter(root)) {
            for (String name : r.names()) {
                Matcher m = MEMORY.matcher(name);
                if (m.matches()) {
                    int c = Integer.parseInt(m.group(2));
                    int k = c < kept.length ? Math.min(kept[c], r.ints(name).length) : 0;
                    int[] pos = new int[k];
                    for (int i = 0; i < k; i++) {
                        pos[i] = i;
                    }
                    w.putInts(name, pos);
                } else {
                    w.put(name, r.get(name));
                }
            }
            return w.encode();
        }
    }

    /** The sample ids a method state's memory holds, per head, best first. */
    static List<List<String>> keptIds(byte[] state, List<List<Rows.Sample>> train, NDManager root) {
        List<List<String>> out = new ArrayList<>();
        for (int c = 0; c < train.size(); c++) {
            out.add(new ArrayList<>());
        }
        try (StateReader r = new StateReader(METHOD_FILE, state, root)) {
            for (String name : r.names()) {
                Matcher m = MEMORY.matcher(name);
                if (m.matches() && r.get(name).getDataType() == DataType.INT32) {
                    int c = Integer.parseInt(m.group(2));
                    for (int p : r.ints(name)) {
                        out.get(c).add(train.get(c).get(p).id());
                    }
                }
            }
        }
        return out;
    }

    private static String fingerprint(Input in) {
        StringBuilder b = new StringBuilder();
        for (List<Rows.Sample> cls : in.train()) {
            for (Rows.Sample s : cls) {
                b.append(s.id()).append(',');
            }
            b.append(';');
        }
        return CheckpointStore.sha256(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static ImageDataset dataset(
            String name,
            List<List<Rows.Sample>> perHead,
            List<String> classNames,
            ClassifierSpec spec,
            Function<String, byte[]> pixels) {
        List<Rows.Sample> all = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < perHead.size(); c++) {
            for (Rows.Sample s : perHead.get(c)) {
                all.add(s);
                labels.add(c);
            }
        }
        return dataset(name, all, labels.stream().mapToInt(Integer::intValue).toArray(), classNames, spec, pixels);
    }

    static ImageDataset dataset(
            String name,
            List<Rows.Sample> samples,
            int[] labels,
            List<String> classNames,
            ClassifierSpec spec,
            Function<String, byte[]> pixels) {
        int size = (int) spec.sampleBytes();
        byte[] px = new byte[samples.size() * size];
        for (int i = 0; i < samples.size(); i++) {
            byte[] p = pixels.apply(samples.get(i).blob());
            if (p.length != size) {
                throw new IllegalStateException(
                        "sample " + samples.get(i).id() + " holds " + p.length + " bytes, expected " + size);
            }
            System.arraycopy(p, 0, px, i * size, size);
        }
        return new ImageDataset(name, px, labels, spec.channels(), spec.imageSize(), spec.imageSize(), classNames);
    }

    private static long writeVersion(Path out, Map<String, byte[]> files) {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        long bytes = 0;
        try {
            if (Files.exists(tmp)) {
                CheckpointStore.deleteTree(tmp);
            }
            Files.createDirectories(tmp);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                org.cil4j.experiment.AtomicFiles.write(tmp.resolve(f.getKey()), f.getValue());
                bytes += f.getValue().length;
            }
            if (Files.exists(out)) {
                CheckpointStore.deleteTree(out);
            }
            Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the version " + out + ": " + e.getMessage(), e);
        }
        return bytes;
    }

    static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** For the predictor: the network of a version. */
    static void loadNet(Path dir, IncrementalNet net, NDManager root) {
        try (StateReader r = new StateReader(dir.resolve(NET_FILE).toString(), read(dir.resolve(NET_FILE)), root)) {
            r.copyInto("net.", net.params().all());
        }
    }
}
