package org.cil4j.serve.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.cil4j.CilException;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.data.ImageBytes;
import org.cil4j.eval.PhaseEval;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.serve.store.Blobs;
import org.cil4j.serve.store.Db;
import org.cil4j.serve.store.Rows;
import org.cil4j.serve.store.Store;
import org.cil4j.train.Normalization;
import org.cil4j.train.TrainListener;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's use cases, each owning its transaction: create a classifier, upload, start a
 * phase, predict, activate a version, erase a source, forget a class, expire. One worker thread
 * trains; each classifier's predictor answers from its active version meanwhile. Every state
 * change is a row first and a file second, or a file by hash and then its row, so a crash
 * between the two leaves at most an orphan file, which the start-up sweep removes.
 */
public final class Service implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Service.class);

    /**
     * Limits on requests and the predictor's batching.
     *
     * @param maxImageBytes largest encoded image
     * @param maxImagesPerRequest most images in one upload or predict request
     * @param maxPixels largest width times height an image may declare
     * @param maxBatch most images in one prediction batch
     * @param maxDelayMs longest a prediction waits for others to batch with
     * @param sweepSeconds seconds between expiry sweeps
     */
    public record Limits(
            int maxImageBytes,
            int maxImagesPerRequest,
            long maxPixels,
            int maxBatch,
            long maxDelayMs,
            long sweepSeconds) {
        /** The defaults. */
        public static final Limits DEFAULT = new Limits(4 << 20, 256, 4096L * 4096, 64, 0, 60);
    }

    /**
     * An image to store.
     *
     * @param label class name
     * @param image encoded image bytes
     * @param sourceId who or what it came from, or null
     * @param expiresAt epoch milliseconds, or null
     */
    public record Upload(String label, byte[] image, String sourceId, Long expiresAt) {}

    private final Db db;
    private final Blobs blobs;
    private final Path home;
    private final Limits limits;
    private final Map<String, Predictor> predictors = new ConcurrentHashMap<>();
    private final MeterRegistry metrics;
    private final Timer decodeTimer;
    private final Map<String, ObjectNode> progress = new ConcurrentHashMap<>();
    private final ScheduledExecutorService worker;
    private final TrainingLease lease;
    private final ScheduledExecutorService sweeper;
    private volatile boolean stopping;

    /**
     * @param db the database (migrated)
     * @param home the home folder (blobs, versions, job checkpoints)
     * @param limits request limits
     */
    public Service(Db db, Path home, Limits limits, MeterRegistry metrics) {
        this.db = db;
        this.metrics = metrics;
        this.decodeTimer = stageTimer(metrics, "decode", "decoding and resizing a request's images");
        this.home = home;
        this.limits = limits;
        this.blobs = new Blobs(home.resolve("blobs"));
        Store.register(db.jdbi());
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "cil4j-train"));
        this.lease = TrainingLease.of(db);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "cil4j-sweep"));
    }

    /**
     * @return the timer of one stage of a prediction, {@code cil_predict_stage_seconds{stage=...}}
     */
    static Timer stageTimer(MeterRegistry metrics, String stage, String what) {
        return Timer.builder("cil_predict_stage")
                .description("time of one stage of a prediction: " + what)
                .tag("stage", stage)
                .register(metrics);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Recovers from whatever a crash left (pending erasures, orphan files, unfinished phases),
     * loads the active versions and starts the expiry sweeper.
     */
    public void start() {
        for (Rows.Erasure e : db.read(Store::pendingErasures)) {
            LOG.info("completing an erasure of a source that a stop interrupted");
            completeErasure(e.id(), e.classifierId(), e.sourceId(), e.tokenId());
        }
        sweepOrphans(0);
        for (Rows.Classifier c : db.read(Store::classifiers)) {
            refreshPredictor(c.id());
        }
        // periodic() logs whatever a run throws, so the futures never hold a failure to look at
        ScheduledFuture<?> unusedPolling = worker.scheduleWithFixedDelay(
                periodic("looking for phases to run", this::pollJobs), 0, 500, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> unusedSweeping = sweeper.scheduleWithFixedDelay(
                periodic("the expiry sweep", this::expireQuietly),
                limits.sweepSeconds(),
                limits.sweepSeconds(),
                TimeUnit.SECONDS);
    }

    /**
     * A task of {@code scheduleWithFixedDelay} that a failure does not end: whatever escapes a run
     * of it there cancels its later runs, and only the (unread) future would hold the cause. So a
     * failure is logged here and the task runs again at its next turn.
     */
    private static Runnable periodic(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                LOG.error("{} failed; it runs again at its next turn", what, e);
            }
        };
    }

    /** @return the database */
    public Db db() {
        return db;
    }

    /** @return the request limits */
    public Limits limits() {
        return limits;
    }

    // classifiers

    /**
     * @param req the create request
     * @return the classifier's view
     */
    public ObjectNode createClassifier(JsonNode req) {
        ClassifierSpec spec = ClassifierSpec.of(req);
        String id = Store.newId();
        db.tx(h -> {
            if (Store.classifier(h, spec.name()).isPresent()) {
                throw new ApiException(409, "name", "a classifier named '" + spec.name() + "' exists");
            }
            Store.insertClassifier(h, id, spec.name(), spec.toJson(), System.currentTimeMillis());
            return null;
        });
        return view(classifier(spec.name()));
    }

    /** @return every classifier's view */
    public List<ObjectNode> classifiers() {
        return db.read(Store::classifiers).stream().map(this::view).toList();
    }

    /**
     * @param name a classifier
     * @return its view
     */
    public ObjectNode classifierView(String name) {
        return view(classifier(name));
    }

    Rows.Classifier classifier(String name) {
        return db.read(h -> Store.classifier(h, name))
                .orElseThrow(() -> ApiException.notFound("no classifier named '" + name + "'"));
    }

    private ObjectNode view(Rows.Classifier c) {
        ObjectNode n = ConfigLoader.MAPPER.createObjectNode();
        n.put("name", c.name());
        n.put("createdAt", iso(c.createdAt()));
        if (c.activeVersion() == null) {
            n.putNull("activeVersion");
        } else {
            n.put("activeVersion", c.activeVersion());
        }
        n.set("spec", ConfigLoader.MAPPER.valueToTree(ClassifierSpec.fromJson(c.spec())));
        return n;
    }

    // uploads

    /**
     * Decodes and stores images; all or nothing.
     *
     * @param name the classifier
     * @param items the images
     * @return one entry per stored sample: id, classId, class
     */
    public List<Map<String, Object>> upload(String name, List<Upload> items) {
        Rows.Classifier c = classifier(name);
        ClassifierSpec spec = ClassifierSpec.fromJson(c.spec());
        if (items.isEmpty()) {
            throw ApiException.bad("samples", "no samples in the request");
        }
        if (items.size() > limits.maxImagesPerRequest()) {
            throw new ApiException(
                    413, "samples", items.size() + " samples in one request; at most " + limits.maxImagesPerRequest());
        }
        List<byte[]> pixels = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Upload u = items.get(i);
            String f = "samples[" + i + "]";
            if (u.label() == null || u.label().isBlank() || u.label().length() > 200) {
                throw ApiException.bad(f + ".label", f + ".label must be a class name of 1-200 characters");
            }
            if (u.sourceId() != null && u.sourceId().length() > 200) {
                throw ApiException.bad(f + ".sourceId", f + ".sourceId is longer than 200 characters");
            }
            pixels.add(decode(u.image(), f + ".image", spec));
        }
        long now = System.currentTimeMillis();
        return blobs.putThenCommit(
                pixels,
                hashes -> db.tx(h -> {
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (int i = 0; i < items.size(); i++) {
                        Upload u = items.get(i);
                        Rows.ClassRow cls = Store.classFor(h, c.id(), u.label(), now);
                        if (cls.forgotten()) {
                            throw ApiException.bad(
                                    "samples[" + i + "].label",
                                    "class '" + u.label() + "' was forgotten; "
                                            + "its id is never reused: upload under another name");
                        }
                        String id = Store.newId();
                        Store.insertSample(
                                h,
                                id,
                                c.id(),
                                cls.id(),
                                hashes.get(i),
                                pixels.get(i).length,
                                u.sourceId(),
                                u.expiresAt(),
                                now);
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("id", id);
                        e.put("classId", cls.id());
                        e.put("class", cls.name());
                        out.add(e);
                    }
                    return out;
                }));
    }

    /** Decodes an image to the classifier's input size, naming the field when it cannot. */
    byte[] decode(byte[] image, String field, ClassifierSpec spec) {
        if (image == null || image.length == 0) {
            throw ApiException.bad(field, field + " is empty: send an encoded image (PNG, JPEG, ...)");
        }
        if (image.length > limits.maxImageBytes()) {
            throw new ApiException(
                    413, field, field + " has " + image.length + " bytes; at most " + limits.maxImageBytes());
        }
        try {
            return ImageBytes.decode(
                    image, field, spec.channels(), spec.imageSize(), spec.imageSize(), limits.maxPixels());
        } catch (CilException e) {
            throw ApiException.bad(field, e.getMessage());
        }
    }

    // phases

    /**
     * Starts a phase that learns every pending upload.
     *
     * @param name the classifier
     * @return the job's view
     */
    public ObjectNode startPhase(String name) {
        Rows.Classifier c = classifier(name);
        ClassifierSpec spec = ClassifierSpec.fromJson(c.spec());
        String jobId = Store.newId();
        db.tx(h -> {
            List<Rows.Job> earlier = Store.jobs(h, c.id());
            for (Rows.Job j : earlier) {
                if (j.state().equals("queued") || j.state().equals("running")) {
                    throw ApiException.conflict(
                            "phase " + j.id() + " of '" + name + "' is " + j.state() + "; one phase at a time");
                }
            }
            List<Rows.Sample> pending = Store.samples(h, c.id(), "pending");
            Map<Integer, Rows.ClassRow> classes =
                    Store.classes(h, c.id()).stream().collect(Collectors.toMap(Rows.ClassRow::id, x -> x));
            Map<Integer, List<Rows.Sample>> byClass = new TreeMap<>();
            for (Rows.Sample s : pending) {
                byClass.computeIfAbsent(s.classId(), k -> new ArrayList<>()).add(s);
            }
            List<Integer> fresh = byClass.keySet().stream()
                    .filter(k -> classes.get(k).headIndex() == null)
                    .toList();
            if (fresh.isEmpty()) {
                throw ApiException.conflict(
                        pending.isEmpty()
                                ? "nothing to learn: upload samples first"
                                : "the " + pending.size()
                                        + " pending samples are all of known classes; a phase adds at least one "
                                        + "new class, and they are learned with it");
            }
            int next = (int)
                    classes.values().stream().filter(x -> x.headIndex() != null).count();
            for (int k : fresh) {
                Store.setHeadIndex(h, c.id(), k, next++);
            }
            Store.insertJob(h, jobId, c.id(), System.currentTimeMillis());
            // the held-back share depends on the seed and on how many phases came before, not on
            // the job's random id, so the same uploads give the same split
            Random rnd = new Random(spec.seed() * 31 + earlier.size());
            for (List<Rows.Sample> list : byClass.values()) {
                List<Rows.Sample> shuffled = new ArrayList<>(list);
                Collections.shuffle(shuffled, rnd);
                int nVal = spec.validationShare() > 0 && list.size() >= 2
                        ? Math.max(1, (int) Math.round(spec.validationShare() * list.size()))
                        : 0;
                for (int i = 0; i < shuffled.size(); i++) {
                    Store.assignToJob(h, shuffled.get(i).id(), jobId, i < nVal ? "val" : "train");
                }
            }
            return null;
        });
        worker.execute(this::pollJobs);
        return job(jobId);
    }

    /**
     * @param id a job
     * @return its view, with live progress while it runs
     */
    public ObjectNode job(String id) {
        Rows.Job j = db.read(h -> Store.job(h, id)).orElseThrow(() -> ApiException.notFound("no job " + id));
        ObjectNode n = ConfigLoader.MAPPER.createObjectNode();
        n.put("id", j.id());
        n.put(
                "classifier",
                db.read(h -> Store.classifierById(h, j.classifierId())).name());
        n.put("state", j.state());
        if (j.version() != null) {
            n.put("version", j.version());
        }
        if (j.error() != null) {
            n.put("error", j.error());
        }
        ObjectNode p = progress.get(id);
        if (p != null) {
            n.set("progress", p);
        } else if (j.progress() != null) {
            n.set("progress", readTree(j.progress()));
        }
        n.put("createdAt", iso(j.createdAt()));
        n.put("updatedAt", iso(j.updatedAt()));
        return n;
    }

    /**
     * @param name a classifier
     * @return its phases' jobs, oldest first, with live progress for the running one
     */
    public List<ObjectNode> jobs(String name) {
        Rows.Classifier c = classifier(name);
        return db.read(h -> Store.jobs(h, c.id())).stream()
                .map(j -> job(j.id()))
                .toList();
    }

    /**
     * Runs the unfinished phases, oldest first, while this process holds the training lease: a
     * phase started on any replica, and one a stop or a crash interrupted (it resumes from its
     * checkpoint).
     */
    private void pollJobs() {
        try {
            while (!stopping && lease.held()) {
                List<Rows.Job> todo = db.read(Store::unfinishedJobs);
                if (todo.isEmpty()) {
                    return;
                }
                Rows.Job j = todo.get(0);
                if (j.state().equals("running")) {
                    LOG.info(
                            "phase {} of {} resumes",
                            j.id(),
                            db.read(h -> Store.classifierById(h, j.classifierId()))
                                    .name());
                }
                runJob(j.id());
            }
        } catch (RuntimeException e) {
            LOG.warn("looking for phases to run failed: {}", e.toString());
        }
    }

    /** Whether a running phase must stop without failing: the service stops, or another replica may train now. */
    private boolean mustStop() {
        return stopping || !lease.held();
    }

    private void runJob(String jobId) {
        if (stopping) {
            return;
        }
        org.cil4j.engine.Engines.noGradOnThisThread();
        Rows.Job j = db.read(h -> Store.job(h, jobId)).orElseThrow();
        Rows.Classifier c = db.read(h -> Store.classifierById(h, j.classifierId()));
        ClassifierSpec spec = ClassifierSpec.fromJson(c.spec());
        Path versionDir = null;
        try {
            Rows.Version done = db.read(h -> Store.versionOfJob(h, jobId)).orElse(null);
            if (done != null) {
                finishCommitted(c, jobId, done.num());
                return;
            }
            setJob(jobId, "running", null, null, null);
            Rows.Version prev = db.read(h -> Store.latestVersion(h, c.id())).orElse(null);
            int num = prev == null ? 1 : prev.num() + 1;
            versionDir = home.resolve("classifiers")
                    .resolve(c.id())
                    .resolve("versions")
                    .resolve(String.valueOf(num));
            PhaseRunner.Input in = input(c, spec, jobId, prev);
            ObjectNode live = ConfigLoader.MAPPER.createObjectNode();
            live.put("stage", "loading");
            progress.put(jobId, live);
            PhaseRunner.Output out = PhaseRunner.run(in, versionDir, listener(jobId));
            commit(c, spec, jobId, num, in, out, versionDir);
        } catch (RuntimeException | Error e) {
            if (mustStop()) {
                LOG.info(
                        "phase {} stopped; it resumes from its checkpoint where the training lease is held next",
                        jobId);
                return;
            }
            LOG.error("phase {} of {} failed", jobId, c.name(), e);
            fail(c, jobId, e, versionDir);
        } finally {
            progress.remove(jobId);
        }
    }

    private PhaseRunner.Input input(Rows.Classifier c, ClassifierSpec spec, String jobId, Rows.Version prev) {
        return db.read(h -> {
            List<Rows.ClassRow> headed = Store.classes(h, c.id()).stream()
                    .filter(x -> x.headIndex() != null)
                    .sorted((a, b) -> Integer.compare(a.headIndex(), b.headIndex()))
                    .toList();
            Map<Integer, Integer> headOf = new HashMap<>();
            List<String> names = new ArrayList<>();
            for (Rows.ClassRow x : headed) {
                headOf.put(x.id(), x.headIndex());
                names.add(x.name());
            }
            List<List<Rows.Sample>> train = new ArrayList<>();
            for (int i = 0; i < headed.size(); i++) {
                train.add(new ArrayList<>());
            }
            List<Rows.Sample> kept = new ArrayList<>(Store.samples(h, c.id(), "kept"));
            kept.sort((a, b) ->
                    Integer.compare(a.keepRank() == null ? 0 : a.keepRank(), b.keepRank() == null ? 0 : b.keepRank()));
            List<Rows.Sample> val = new ArrayList<>();
            for (Rows.Sample s : kept) {
                if ("val".equals(s.split())) {
                    val.add(s);
                } else {
                    train.get(headOf.get(s.classId())).add(s);
                }
            }
            int[] keptCount = train.stream().mapToInt(List::size).toArray();
            for (Rows.Sample s : Store.samples(h, c.id(), "training")) {
                if (!jobId.equals(s.jobId())) {
                    continue;
                }
                if ("val".equals(s.split())) {
                    val.add(s);
                } else {
                    train.get(headOf.get(s.classId())).add(s);
                }
            }
            val.sort((a, b) -> a.id().compareTo(b.id()));
            int[] valHeads = val.stream().mapToInt(s -> headOf.get(s.classId())).toArray();
            List<Integer> prevHeads = prev == null ? List.of() : intList(readTree(prev.heads()));
            int prevSeen = prevHeads.stream().mapToInt(Integer::intValue).sum();
            long valBytes = val.stream().mapToLong(Rows.Sample::bytes).sum();
            long memory = Math.max(0, (spec.storageBudgetBytes() - valBytes) / spec.sampleBytes());
            Normalization norm = null;
            if (prev != null) {
                JsonNode n = readTree(prev.provenance()).path("normalization");
                norm = new Normalization(floats(n.path("mean")), floats(n.path("std")));
            }
            Path prevDir = prev == null ? null : home.resolve(prev.dir());
            return new PhaseRunner.Input(
                    jobId,
                    spec,
                    prevHeads,
                    prevDir,
                    norm,
                    names,
                    train,
                    keptCount,
                    val,
                    valHeads,
                    headed.size() - prevSeen,
                    memory,
                    home.resolve("jobs").resolve(jobId),
                    blobs::get);
        });
    }

    private TrainListener listener(String jobId) {
        long t0 = System.nanoTime();
        long[] lastWrite = {0};
        return new TrainListener() {
            @Override
            public void onBatch(int phase, String stage, int epoch, int epochs, int batch, int batches, double loss) {
                if (batch % 20 == 0 ? mustStop() : stopping) {
                    throw new IllegalStateException("the service is stopping or lost the training lease");
                }
                double frac = ((epoch - 1) + (double) batch / Math.max(1, batches)) / Math.max(1, epochs);
                double el = (System.nanoTime() - t0) / 1e9;
                ObjectNode p = ConfigLoader.MAPPER.createObjectNode();
                p.put("phase", phase + 1);
                p.put("stage", stage);
                p.put("epoch", epoch);
                p.put("epochs", epochs);
                p.put("batch", batch);
                p.put("batches", batches);
                p.put("loss", loss);
                p.put("stageFraction", frac);
                p.put("elapsedSeconds", Math.round(el));
                p.put("stageEtaSeconds", frac > 0 ? Math.round(el / frac * (1 - frac)) : -1);
                progress.put(jobId, p);
                long now = System.currentTimeMillis();
                if (now - lastWrite[0] > 2000) {
                    lastWrite[0] = now;
                    db.tx(h -> {
                        Store.updateJob(h, jobId, "running", p.toString(), null, null, now);
                        return null;
                    });
                }
            }
        };
    }

    private void commit(
            Rows.Classifier c,
            ClassifierSpec spec,
            String jobId,
            int num,
            PhaseRunner.Input in,
            PhaseRunner.Output out,
            Path versionDir) {
        ObjectNode metrics = metrics(c, spec, out);
        boolean pass = metrics.path("gate").path("passed").asBoolean();
        ObjectNode prov = ConfigLoader.MAPPER.createObjectNode();
        prov.put("method", spec.method().name());
        prov.set(
                "methodParams",
                ConfigLoader.MAPPER.valueToTree(
                        spec.methodFor(in.memory(), in.seen()).params()));
        prov.put("trainSamples", in.train().stream().mapToInt(List::size).sum());
        prov.put("validationSamples", in.val().size());
        prov.put("memory", in.memory());
        ObjectNode norm = prov.putObject("normalization");
        norm.set("mean", ConfigLoader.MAPPER.valueToTree(out.norm().mean()));
        norm.set("std", ConfigLoader.MAPPER.valueToTree(out.norm().std()));
        prov.set("build", ConfigLoader.MAPPER.valueToTree(org.cil4j.experiment.Provenance.collect("cil serve")));
        Rows.Version v = new Rows.Version(
                num,
                jobId,
                in.seen(),
                ConfigLoader.MAPPER.valueToTree(out.heads()).toString(),
                metrics.toString(),
                prov.toString(),
                home.relativize(versionDir).toString(),
                out.bytes(),
                System.currentTimeMillis());
        manifest(c, v).write(versionDir); // the file first: a crash before the row leaves an orphan folder
        List<String> freed = db.tx(h -> {
            Set<String> keep = new HashSet<>();
            for (int head = 0; head < out.keptIds().size(); head++) {
                List<String> ids = out.keptIds().get(head);
                for (int r = 0; r < ids.size(); r++) {
                    keep.add(ids.get(r));
                }
            }
            List<String> drop = new ArrayList<>();
            List<String> blobsOfDrop = new ArrayList<>();
            for (List<Rows.Sample> cls : in.train()) {
                for (Rows.Sample s : cls) {
                    if (!keep.contains(s.id())) {
                        drop.add(s.id());
                        blobsOfDrop.add(s.blob());
                    }
                }
            }
            Map<String, Rows.Sample> now = new HashMap<>();
            for (List<Rows.Sample> cls : in.train()) {
                for (Rows.Sample s : cls) {
                    now.put(s.id(), s);
                }
            }
            for (int head = 0; head < out.keptIds().size(); head++) {
                List<String> ids = out.keptIds().get(head);
                for (int r = 0; r < ids.size(); r++) {
                    Rows.Sample s = now.get(ids.get(r));
                    Store.keep(h, s.id(), r, s.trainedFrom() == null ? num : s.trainedFrom(), num);
                }
            }
            for (Rows.Sample s : in.val()) {
                if ("training".equals(s.state())) {
                    Store.keep(h, s.id(), null, null, null);
                }
            }
            int deleted = Store.deleteSamples(h, drop);
            Store.insertVersion(h, c.id(), v);
            ObjectNode last = progress.get(jobId);
            Store.updateJob(
                    h, jobId, "done", last == null ? null : last.toString(), null, num, System.currentTimeMillis());
            if (pass) {
                Store.setActive(h, c.id(), num);
            }
            if (deleted > 0) {
                Store.audit(
                        h,
                        System.currentTimeMillis(),
                        c.id(),
                        "phase-cleanup",
                        null,
                        deleted,
                        "{\"version\":" + num + ",\"reason\":\"not kept by the method within the storage budget\"}");
            }
            return blobsOfDrop;
        });
        deleteUnreferenced(freed);
        finishCommitted(c, jobId, num);
        LOG.info(
                "{}: version {} ({} classes) {}",
                c.name(),
                num,
                in.seen(),
                pass
                        ? "is active"
                        : "is a candidate: "
                                + metrics.path("gate").path("reason").asText());
    }

    private void finishCommitted(Rows.Classifier c, String jobId, int num) {
        try {
            Path jobDir = home.resolve("jobs").resolve(jobId);
            if (Files.exists(jobDir)) {
                CheckpointStore.deleteTree(jobDir);
            }
        } catch (IOException e) {
            LOG.warn("could not delete the checkpoints of phase {}: {}", jobId, e.getMessage());
        }
        db.tx(h -> {
            Rows.Job j = Store.job(h, jobId).orElseThrow();
            if (!j.state().equals("done")) {
                Store.updateJob(h, jobId, "done", null, null, num, System.currentTimeMillis());
            }
            return null;
        });
        refreshPredictor(c.id());
    }

    private ObjectNode metrics(Rows.Classifier c, ClassifierSpec spec, PhaseRunner.Output out) {
        ObjectNode m = ConfigLoader.MAPPER.createObjectNode();
        PhaseEval ev = out.eval();
        ObjectNode gate = m.putObject("gate");
        if (ev == null) {
            m.putNull("accuracy");
            gate.put("passed", c.activeVersion() == null);
            gate.put("reason", c.activeVersion() == null ? "first version" : "no validation samples to compare on");
            return m;
        }
        m.set("accuracyPerPhase", ConfigLoader.MAPPER.valueToTree(ev.cnn()));
        m.set("validationPerPhase", ConfigLoader.MAPPER.valueToTree(ev.counts()));
        double acc = weighted(ev, ev.counts().length);
        m.put("accuracy", acc);
        m.put("newAccuracy", ev.cnn()[ev.cnn().length - 1]);
        m.put(
                "trainSeconds",
                out.epochs().stream().mapToDouble(e -> e.seconds()).sum());
        gate.put("maxOldAccuracyDrop", spec.gate().maxOldAccuracyDrop());
        gate.put("minAccuracy", spec.gate().minAccuracy());
        if (acc < spec.gate().minAccuracy()) {
            gate.put("passed", false);
            gate.put(
                    "reason",
                    String.format(
                            "accuracy %.2f below the gate's minimum %.2f",
                            acc, spec.gate().minAccuracy()));
            return m;
        }
        if (c.activeVersion() == null) {
            gate.put("passed", true);
            gate.put("reason", "first version");
            return m;
        }
        Rows.Version active =
                db.read(h -> Store.version(h, c.id(), c.activeVersion())).orElseThrow();
        int phases = readTree(active.heads()).size();
        double before = readTree(active.metrics()).path("accuracy").asDouble(Double.NaN);
        double now = weighted(ev, Math.min(phases, ev.counts().length));
        double drop = before - now;
        gate.put("comparedWith", active.num());
        gate.put("oldAccuracyBefore", before);
        gate.put("oldAccuracyNow", now);
        boolean ok = Double.isNaN(before) || drop <= spec.gate().maxOldAccuracyDrop();
        gate.put("passed", ok);
        gate.put(
                "reason",
                ok
                        ? String.format("old classes' accuracy %.2f -> %.2f", before, now)
                        : String.format(
                                "old classes' accuracy dropped %.2f points (%.2f -> %.2f), more than the gate's %.2f",
                                drop, before, now, spec.gate().maxOldAccuracyDrop()));
        return m;
    }

    private static double weighted(PhaseEval ev, int phases) {
        double hit = 0;
        int n = 0;
        for (int p = 0; p < phases; p++) {
            hit += ev.cnn()[p] * ev.counts()[p];
            n += ev.counts()[p];
        }
        return n == 0 ? Double.NaN : hit / n;
    }

    private void fail(Rows.Classifier c, String jobId, Throwable e, Path versionDir) {
        try {
            if (versionDir != null && Files.exists(versionDir)) {
                CheckpointStore.deleteTree(versionDir);
            }
        } catch (IOException io) {
            LOG.warn("could not delete {}: {}", versionDir, io.getMessage());
        }
        db.tx(h -> {
            int prevSeen =
                    Store.latestVersion(h, c.id()).map(Rows.Version::classes).orElse(0);
            for (Rows.ClassRow x : Store.classes(h, c.id())) {
                if (x.headIndex() != null && x.headIndex() >= prevSeen) {
                    Store.setHeadIndex(h, c.id(), x.id(), null);
                }
            }
            Store.returnToPending(h, jobId);
            Store.updateJob(h, jobId, "failed", null, String.valueOf(e.getMessage()), null, System.currentTimeMillis());
            return null;
        });
    }

    private void setJob(String id, String state, String progressJson, String error, Integer version) {
        db.tx(h -> {
            Store.updateJob(h, id, state, progressJson, error, version, System.currentTimeMillis());
            return null;
        });
    }

    // versions and predictions

    /**
     * @param name the classifier
     * @return its versions, oldest first
     */
    public List<ObjectNode> versions(String name) {
        Rows.Classifier c = classifier(name);
        return db.read(h -> Store.versions(h, c.id())).stream()
                .map(v -> versionView(c, v))
                .toList();
    }

    private ObjectNode versionView(Rows.Classifier c, Rows.Version v) {
        ObjectNode n = ConfigLoader.MAPPER.createObjectNode();
        n.put("version", v.num());
        n.put("active", c.activeVersion() != null && c.activeVersion() == v.num());
        n.put("classes", v.classes());
        n.set("heads", readTree(v.heads()));
        n.set("metrics", readTree(v.metrics()));
        n.put("bytes", v.bytes());
        n.put("job", v.jobId());
        n.put("createdAt", iso(v.createdAt()));
        JsonNode p = readTree(v.provenance());
        ((ObjectNode) p).remove("normalization");
        n.set("provenance", p);
        return n;
    }

    /**
     * Makes a version the one that answers (promotion or rollback), atomically.
     *
     * @param name the classifier
     * @param num the version
     * @return the classifier's view
     */
    public ObjectNode activate(String name, int num) {
        Rows.Classifier c = classifier(name);
        db.tx(h -> {
            if (Store.version(h, c.id(), num).isEmpty()) {
                throw ApiException.notFound("'" + name + "' has no version " + num);
            }
            Store.setActive(h, c.id(), num);
            return null;
        });
        refreshPredictor(c.id());
        return view(classifier(name));
    }

    /**
     * @param name the classifier
     * @param images encoded images
     * @param topK classes per image
     * @return the answer's future
     */
    public CompletableFuture<Predictor.Answer> predict(String name, List<byte[]> images, int topK) {
        Rows.Classifier c = classifier(name);
        ClassifierSpec spec = ClassifierSpec.fromJson(c.spec());
        if (images.isEmpty()) {
            throw ApiException.bad("images", "no images in the request");
        }
        if (images.size() > limits.maxImagesPerRequest()) {
            throw new ApiException(
                    413, "images", images.size() + " images in one request; at most " + limits.maxImagesPerRequest());
        }
        if (topK < 1 || topK > 1000) {
            throw ApiException.bad("topK", "topK must be within 1..1000, got " + topK);
        }
        long t0 = System.nanoTime();
        List<byte[]> px = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            px.add(decode(images.get(i), "images[" + i + "]", spec));
        }
        decodeTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        Predictor p = predictors.get(c.id());
        if (c.activeVersion() != null
                && (p == null || p.serving() == null || p.serving().version() != c.activeVersion())) {
            refreshPredictor(c.id()); // the database says which version is active
            p = predictors.get(c.id());
        }
        if (p == null || p.serving() == null) {
            throw ApiException.conflict("'" + name + "' has no active version yet: upload samples and train a phase");
        }
        return p.predict(px, topK);
    }

    void refreshPredictor(String classifierId) {
        Rows.Classifier c = db.read(h -> Store.classifierById(h, classifierId));
        if (c.activeVersion() == null) {
            return;
        }
        Rows.Version v =
                db.read(h -> Store.version(h, c.id(), c.activeVersion())).orElseThrow();
        Predictor.Model m = new Predictor.Model(manifest(c, v), home.resolve(v.dir()));
        predictors
                .computeIfAbsent(
                        c.id(),
                        k -> new Predictor(
                                c.name(),
                                limits.maxBatch(),
                                limits.maxDelayMs(),
                                stageTimer(metrics, "wait", "a request's wait in the queue until its batch starts"),
                                stageTimer(metrics, "forward", "a batch's forward pass and scoring")))
                .serve(m);
    }

    /** What a version is, from the database: its classes in head order (forgotten ones marked), heads, normalization. */
    private VersionManifest manifest(Rows.Classifier c, Rows.Version v) {
        List<Rows.ClassRow> classes = db.read(h -> Store.classes(h, c.id()));
        int[] ids = new int[v.classes()];
        String[] names = new String[v.classes()];
        boolean[] forgotten = new boolean[v.classes()];
        for (Rows.ClassRow x : classes) {
            if (x.headIndex() != null && x.headIndex() < v.classes()) {
                ids[x.headIndex()] = x.id();
                names[x.headIndex()] = x.name();
                forgotten[x.headIndex()] = x.forgotten();
            }
        }
        JsonNode n = readTree(v.provenance()).path("normalization");
        return new VersionManifest(
                c.name(),
                v.num(),
                ClassifierSpec.fromJson(c.spec()),
                intList(readTree(v.heads())),
                new Normalization(floats(n.path("mean")), floats(n.path("std"))),
                ids,
                names,
                forgotten);
    }

    /** Rewrites the manifest of every version of a classifier whose folder is still there (after a class is forgotten). */
    private void rewriteManifests(Rows.Classifier c) {
        for (Rows.Version v : db.read(h -> Store.versions(h, c.id()))) {
            Path dir = home.resolve(v.dir());
            if (Files.isDirectory(dir)) {
                manifest(c, v).write(dir);
            }
        }
    }

    /** @return prediction batches run and images predicted since the start, all classifiers */
    public long[] predictCounts() {
        long[] t = new long[2];
        for (Predictor p : predictors.values()) {
            long[] c = p.counts();
            t[0] += c[0];
            t[1] += c[1];
        }
        return t;
    }

    /** @return images waiting in every predictor's queue */
    public int predictQueueDepth() {
        return predictors.values().stream().mapToInt(Predictor::queueDepth).sum();
    }

    /** @return each running phase's progress, by classifier name */
    public Map<String, Double> phaseProgress() {
        Map<String, Double> out = new TreeMap<>();
        for (Map.Entry<String, ObjectNode> e : progress.entrySet()) {
            db.read(h -> Store.job(h, e.getKey()))
                    .ifPresent(j -> out.put(
                            db.read(h -> Store.classifierById(h, j.classifierId()))
                                    .name(),
                            e.getValue().path("stageFraction").asDouble(0)));
        }
        return out;
    }

    // storage, classes, erasure, expiry

    /**
     * @param name the classifier
     * @return per class: kept, validation and pending samples with bytes; the budget; the model's size
     */
    public ObjectNode storage(String name) {
        Rows.Classifier c = classifier(name);
        ClassifierSpec spec = ClassifierSpec.fromJson(c.spec());
        List<Rows.Sample> all = db.read(h -> Store.allSamples(h, c.id()));
        List<Rows.ClassRow> classes = db.read(h -> Store.classes(h, c.id()));
        List<Rows.Version> versions = db.read(h -> Store.versions(h, c.id()));
        ObjectNode n = ConfigLoader.MAPPER.createObjectNode();
        n.put("budgetBytes", spec.storageBudgetBytes());
        long keptBytes = 0;
        ArrayNode arr = n.putArray("classes");
        for (Rows.ClassRow x : classes) {
            ObjectNode e = arr.addObject();
            e.put("classId", x.id());
            e.put("class", x.name());
            e.put("forgotten", x.forgotten());
            long[] kept = count(all, x.id(), "kept", "train");
            long[] val = count(all, x.id(), "kept", "val");
            long[] pending = count(all, x.id(), "pending", null);
            long[] training = count(all, x.id(), "training", null);
            e.put("keptSamples", kept[0]);
            e.put("keptBytes", kept[1]);
            e.put("validationSamples", val[0]);
            e.put("validationBytes", val[1]);
            e.put("pendingSamples", pending[0] + training[0]);
            e.put("pendingBytes", pending[1] + training[1]);
            keptBytes += kept[1] + val[1];
        }
        n.put("keptBytes", keptBytes);
        n.put("withinBudget", keptBytes <= spec.storageBudgetBytes());
        n.put("sampleBytes", spec.sampleBytes());
        Integer active = c.activeVersion();
        n.put(
                "modelBytes",
                versions.stream()
                        .filter(v -> active != null && v.num() == active)
                        .mapToLong(Rows.Version::bytes)
                        .sum());
        n.put(
                "allVersionsBytes",
                versions.stream().mapToLong(Rows.Version::bytes).sum());
        return n;
    }

    /** @return kept bytes and storage budgets summed over every classifier, for /metrics (one query, not a report per classifier) */
    public long[] storageTotals() {
        long budget = db.read(Store::classifiers).stream()
                .mapToLong(c -> ClassifierSpec.fromJson(c.spec()).storageBudgetBytes())
                .sum();
        return new long[] {db.read(Store::keptBytes), budget};
    }

    private static long[] count(List<Rows.Sample> all, int classId, String state, String split) {
        long n = 0;
        long b = 0;
        for (Rows.Sample s : all) {
            if (s.classId() == classId && s.state().equals(state) && (split == null || split.equals(s.split()))) {
                n++;
                b += s.bytes();
            }
        }
        return new long[] {n, b};
    }

    /**
     * @param name the classifier
     * @return its classes
     */
    public List<ObjectNode> classes(String name) {
        Rows.Classifier c = classifier(name);
        return db.read(h -> Store.classes(h, c.id())).stream()
                .map(x -> {
                    ObjectNode e = ConfigLoader.MAPPER.createObjectNode();
                    e.put("classId", x.id());
                    e.put("class", x.name());
                    e.put("learned", x.headIndex() != null);
                    e.put("forgotten", x.forgotten());
                    e.put("createdAt", iso(x.createdAt()));
                    return e;
                })
                .toList();
    }

    /**
     * Forgets a class: it leaves predictions and its samples are deleted.
     *
     * @param name the classifier
     * @param ref the class id or name
     * @param tokenId who asked
     * @return what was deleted
     */
    public ObjectNode forgetClass(String name, String ref, String tokenId) {
        Rows.Classifier c = classifier(name);
        List<String> blobsFreed = new ArrayList<>();
        ObjectNode out = db.tx(h -> {
            Rows.ClassRow x = Store.classes(h, c.id()).stream()
                    .filter(k -> String.valueOf(k.id()).equals(ref) || k.name().equals(ref))
                    .findFirst()
                    .orElseThrow(() -> ApiException.notFound("'" + name + "' has no class '" + ref + "'"));
            List<Rows.Sample> samples = Store.samplesOfClass(h, c.id(), x.id());
            Store.forget(h, c.id(), x.id());
            List<Rows.Sample> deleted = Store.deleteReturning(
                    h, samples.stream().map(Rows.Sample::id).toList());
            int n = deleted.size();
            deleted.forEach(s -> blobsFreed.add(s.blob()));
            Store.audit(
                    h, System.currentTimeMillis(), c.id(), "forget-class", tokenId, n, "{\"classId\":" + x.id() + "}");
            ObjectNode r = ConfigLoader.MAPPER.createObjectNode();
            r.put("classId", x.id());
            r.put("class", x.name());
            r.put("deletedSamples", n);
            return r;
        });
        deleteUnreferenced(blobsFreed);
        rewriteManifests(c);
        refreshPredictor(c.id());
        return out;
    }

    /**
     * Erases every sample of a source, raw and kept; idempotent. The request is a row first, so
     * an erasure a crash interrupts completes at the next start.
     *
     * @param name the classifier
     * @param sourceId the source
     * @param tokenId who asked
     * @return the receipt
     */
    public JsonNode erase(String name, String sourceId, String tokenId) {
        if (sourceId == null || sourceId.isBlank()) {
            throw ApiException.bad("source", "name the source to erase: ?source=ID");
        }
        Rows.Classifier c = classifier(name);
        String id = Store.newId();
        db.tx(h -> {
            Store.insertErasure(h, id, c.id(), sourceId, tokenId, System.currentTimeMillis());
            return null;
        });
        return completeErasure(id, c.id(), sourceId, tokenId);
    }

    private JsonNode completeErasure(String erasureId, String classifierId, String sourceId, String tokenId) {
        List<String> freed = new ArrayList<>();
        JsonNode receipt = db.tx(h -> {
            if (!Store.claimErasure(h, erasureId)) { // another replica completed it
                return readTree(Store.erasureReceipt(h, erasureId).orElse("{}"));
            }
            List<String> ids = Store.samplesOfSource(h, classifierId, sourceId).stream()
                    .map(Rows.Sample::id)
                    .toList();
            List<Rows.Sample> deleted = Store.deleteReturning(h, ids);
            ObjectNode r = receipt(h, classifierId, deleted);
            r.put("erasure", erasureId);
            deleted.forEach(s -> freed.add(s.blob()));
            Store.audit(
                    h,
                    System.currentTimeMillis(),
                    classifierId,
                    "erase-source",
                    tokenId,
                    deleted.size(),
                    r.path("classes").toString());
            Store.finishErasure(h, erasureId, r.toString());
            return r;
        });
        deleteUnreferenced(freed);
        return receipt;
    }

    private ObjectNode receipt(Handle h, String classifierId, List<Rows.Sample> samples) {
        Map<Integer, String> names = Store.classes(h, classifierId).stream()
                .collect(Collectors.toMap(Rows.ClassRow::id, Rows.ClassRow::name));
        ObjectNode r = ConfigLoader.MAPPER.createObjectNode();
        r.put("deleted", samples.size());
        ObjectNode byClass = r.putObject("classes");
        Set<Integer> versions = new java.util.TreeSet<>();
        Set<String> running = new java.util.TreeSet<>();
        for (Rows.Sample s : samples) {
            String cn = names.get(s.classId());
            byClass.put(cn, byClass.path(cn).asInt(0) + 1);
            if (s.trainedFrom() != null) {
                for (int v = s.trainedFrom();
                        v <= (s.trainedUntil() == null ? s.trainedFrom() : s.trainedUntil());
                        v++) {
                    versions.add(v);
                }
            }
            if ("training".equals(s.state()) && s.jobId() != null) {
                running.add(s.jobId());
            }
        }
        r.set("trainedVersions", ConfigLoader.MAPPER.valueToTree(versions));
        r.set("runningPhases", ConfigLoader.MAPPER.valueToTree(running));
        r.put(
                "note",
                "the samples are deleted; the versions listed were trained on them and hold what they learned "
                        + "from them, not the samples");
        return r;
    }

    /**
     * Deletes the samples whose expiry has passed.
     *
     * @return how many were deleted
     */
    public int expire() {
        int total = 0;
        while (true) {
            List<String[]> due = db.read(h -> Store.expired(h, System.currentTimeMillis(), 500));
            if (due.isEmpty()) {
                return total;
            }
            Map<String, List<String>> byClassifier = new TreeMap<>();
            for (String[] d : due) {
                byClassifier.computeIfAbsent(d[0], k -> new ArrayList<>()).add(d[1]);
            }
            for (Map.Entry<String, List<String>> e : byClassifier.entrySet()) {
                List<String> freed = new ArrayList<>();
                total += db.tx(h -> {
                    List<Rows.Sample> deleted = Store.deleteReturning(h, e.getValue());
                    if (deleted.isEmpty()) {
                        return 0;
                    }
                    ObjectNode r = receipt(h, e.getKey(), deleted);
                    deleted.forEach(s -> freed.add(s.blob()));
                    Store.audit(
                            h,
                            System.currentTimeMillis(),
                            e.getKey(),
                            "expire",
                            null,
                            deleted.size(),
                            r.path("classes").toString());
                    return deleted.size();
                });
                deleteUnreferenced(freed);
            }
        }
    }

    private void expireQuietly() {
        if (!lease.held()) {
            return; // one replica sweeps: the one that trains
        }
        try {
            int n = expire();
            if (n > 0) {
                LOG.info("deleted {} expired samples", n);
            }
        } catch (RuntimeException e) {
            LOG.warn("the expiry sweep failed: {}", e.toString());
        }
    }

    /**
     * @param limit most entries
     * @return the newest audit entries first
     */
    public List<ObjectNode> audit(int limit) {
        Map<String, String> names = new HashMap<>();
        db.read(Store::classifiers).forEach(c -> names.put(c.id(), c.name()));
        return db.read(h -> Store.auditLog(h, Math.max(1, Math.min(limit, 10_000)))).stream()
                .map(a -> {
                    ObjectNode n = ConfigLoader.MAPPER.createObjectNode();
                    n.put("id", a.id());
                    n.put("at", iso(a.at()));
                    n.put("classifier", a.classifierId() == null ? null : names.get(a.classifierId()));
                    n.put("action", a.action());
                    n.put("token", a.tokenId());
                    n.put("count", a.count());
                    n.set("detail", a.detail() == null ? null : readTree(a.detail()));
                    return n;
                })
                .toList();
    }

    /** Deletes the files of blobs no sample refers to any more (see {@link Blobs#deleteUnreferenced}). */
    private void deleteUnreferenced(List<String> hashes) {
        for (String b : new HashSet<>(hashes)) {
            blobs.deleteUnreferenced(b, () -> db.read(h -> Store.blobReferenced(h, b)));
        }
    }

    private void sweepOrphans(long minAgeMillis) {
        int n = blobs.sweep(b -> db.read(h -> Store.blobReferenced(h, b)), minAgeMillis);
        Set<String> dirs = new HashSet<>(db.read(Store::versionDirs));
        int v = 0;
        Path root = home.resolve("classifiers");
        if (Files.isDirectory(root)) {
            try (var cs = Files.list(root)) {
                for (Path cdir : cs.toList()) {
                    Path vs = cdir.resolve("versions");
                    if (!Files.isDirectory(vs)) {
                        continue;
                    }
                    try (var list = Files.list(vs)) {
                        for (Path d : list.toList()) {
                            if (!dirs.contains(home.relativize(d).toString())) {
                                CheckpointStore.deleteTree(d);
                                v++;
                            }
                        }
                    }
                }
            } catch (IOException e) {
                LOG.warn("the orphan sweep failed: {}", e.getMessage());
            }
        }
        if (n + v > 0) {
            LOG.info("removed {} orphan blobs and {} orphan version folders", n, v);
        }
    }

    private static List<Integer> intList(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asInt()));
        return out;
    }

    private static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) a.get(i).asDouble();
        }
        return f;
    }

    static JsonNode readTree(String json) {
        try {
            return ConfigLoader.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String iso(long millis) {
        return java.time.Instant.ofEpochMilli(millis).toString();
    }

    @Override
    public void close() {
        stopping = true;
        sweeper.shutdownNow();
        worker.shutdownNow();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        predictors.values().forEach(Predictor::close);
        lease.close();
    }
}
