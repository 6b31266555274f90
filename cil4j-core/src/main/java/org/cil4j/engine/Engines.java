package org.cil4j.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;
import org.cil4j.CilException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the deep-learning engine the way cil4j needs it: PyTorch through DJL, with the engine's
 * own log noise silenced. The default build carries PyTorch's CPU natives and runs offline
 * (nothing is downloaded); the GPU build ({@code -Dcil4j.natives=gpu}) carries none, so DJL may
 * download libtorch for CUDA on first use or load the one {@code PYTORCH_LIBRARY_PATH} names.
 */
public final class Engines {
    private static final Logger LOG = LoggerFactory.getLogger(Engines.class);

    /** Which natives this build carries, read once from the build's properties (before the block below uses it). */
    private static final String NATIVES = readNatives();

    static {
        quietEngineLogs();
    }

    /** Intra-op threads chosen at {@link #start}: the option, or the engine's default (one per core). */
    private static volatile int threads;
    /** The last request the cap lowered and said so (once, not at every run of a test JVM). */
    private static volatile int warnedCap;
    /** The engine's intra-op threads on the thread that loaded it. */
    private static volatile int loadedThreads;

    private Engines() {}

    /**
     * Sets the system properties DJL reads at start-up. Call before any DJL class is used;
     * {@link #start} does it for you.
     */
    public static void quietEngineLogs() {
        if (gpuBuild()) {
            setIfAbsent("ai.djl.offline", "false");
        } else {
            System.setProperty("ai.djl.offline", "true");
        }
        System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl", "warn");
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "off");
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.pytorch.jni.LibUtils", "warn");
    }

    /** How to get the GPU build, for messages. */
    static final String GPU_BUILD_HINT =
            "build the GPU version: CIL4J_NATIVES=gpu ./cil ... (or ./mvnw -Dcil4j.natives=gpu"
                    + " -DskipTests install); it needs an NVIDIA driver for CUDA 12.8 and downloads libtorch 2.7.1 on first use,"
                    + " or loads the one PYTORCH_LIBRARY_PATH names (README, \"On a GPU\")";

    /**
     * @return whether this build carries no native libraries of its own and is meant for a GPU
     *     ({@code cil4j-natives.properties}, written by the build from {@code cil4j.natives})
     */
    public static boolean gpuBuild() {
        return "gpu".equals(natives());
    }

    /** @return "cpu" or "gpu": which natives this build was made with */
    public static String natives() {
        return NATIVES;
    }

    private static String readNatives() {
        try (java.io.InputStream in = Engines.class.getResourceAsStream("/cil4j-natives.properties")) {
            if (in == null) {
                return "cpu";
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("natives", "cpu").trim();
        } catch (java.io.IOException e) {
            return "cpu";
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * Starts the engine and picks the device.
     *
     * @param device "cpu", "gpu" or "auto" (the GPU when the engine finds one)
     * @param threads intra-op threads, or 0 for the engine's default (one per core)
     * @return the device that computations will use
     */
    public static Device start(String device, int threads) {
        quietEngineLogs();
        NativeMemory.tune();
        int cap = maxThreads();
        if (cap > 0 && (threads == 0 || threads > cap)) {
            if (threads > cap && warnedCap != threads) {
                warnedCap = threads;
                LOG.warn(
                        "threads {} capped to {} by {}: results differ slightly from a run on {} threads"
                                + " (README, reproducibility); provenance.threads records {}",
                        threads,
                        cap,
                        MAX_THREADS,
                        threads,
                        cap);
            }
            threads = cap;
        }
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        Engine engine;
        try {
            engine = Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new CilException(
                    gpuBuild()
                            ? "could not start the PyTorch engine of the GPU build (libtorch 2.7.1 for CUDA, downloaded by DJL on"
                                    + " first use or loaded from PYTORCH_LIBRARY_PATH): " + e.getMessage()
                                    + "; without network access, set PYTORCH_LIBRARY_PATH to a libtorch 2.7.1 (PYTORCH_FLAVOR=cu128),"
                                    + " or use the default CPU build"
                            : "could not start the PyTorch engine (native libraries from"
                                    + " ai.djl.pytorch:pytorch-native-cpu): "
                                    + e.getMessage(),
                    e);
        }
        Nnpack.offWhereUnsupported();
        if (loadedThreads == 0) {
            loadedThreads = ai.djl.pytorch.jni.JniUtils.getNumThreads(); // the count the engine started with
        }
        Engines.threads = threads > 0 ? threads : loadedThreads;
        threadsOnThisThread(Engines.threads);
        String d = device == null ? "auto" : device.toLowerCase(Locale.ROOT);
        int gpus = engine.getGpuCount();
        return switch (d) {
            case "cpu" -> Device.cpu();
            case "gpu" -> {
                if (gpus == 0 && !gpuBuild()) {
                    throw new CilException("--device gpu: this build carries PyTorch's CPU natives, which see no GPU; "
                            + GPU_BUILD_HINT);
                }
                if (gpus == 0) {
                    throw new CilException("--device gpu: the GPU build's engine (" + describe() + ") finds no CUDA GPU"
                            + " on this machine (nvidia-smi should list one); use --device cpu or auto");
                }
                yield Device.gpu();
            }
            case "auto" -> gpus > 0 ? Device.gpu() : Device.cpu();
            default -> throw new CilException("--device must be cpu, gpu or auto, not '" + device + "'");
        };
    }

    /**
     * Turns the engine's gradient recording off on the calling thread. PyTorch keeps that switch
     * per thread and DJL turns it off only on the thread that loaded the engine; on any other
     * thread (a service's worker) it is on, and the optimizer's in-place update of a weight then
     * fails. Training turns recording on around each step itself.
     */
    public static void noGradOnThisThread() {
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        threadsOnThisThread(threads);
    }

    /**
     * Sets how many intra-op threads the engine's operators use when called from this thread.
     * PyTorch keeps the count per thread once a thread has used it, but a thread that first
     * computes after another thread changed the count starts with that count: so every thread
     * that computes sets its own ({@link #noGradOnThisThread} sets the engine's, as {@link
     * #start} chose it). A service's predictor uses one thread for small batches.
     *
     * @param n threads, at least 1
     */
    public static void threadsOnThisThread(int n) {
        if (n > 0 && ai.djl.pytorch.jni.JniUtils.getNumThreads() != n) {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
        }
    }

    /** The system property that caps the engine's threads whatever a run asks for. */
    public static final String MAX_THREADS = "cil4j.threads.max";

    /**
     * An upper bound on the intra-op threads of every run in this JVM, whatever its config's
     * {@code threads} says: the system property {@value #MAX_THREADS} or else the environment
     * variable {@code CIL4J_THREADS_MAX}. For a machine that several processes share (two runs
     * side by side on two cores slow each other 3-4x when each asks for both); the test build
     * sets 1 because it runs two test JVMs at once. The config keeps what was asked; the
     * result's provenance records the threads the run computed with.
     *
     * @return the cap, or 0 for none
     */
    public static int maxThreads() {
        String v = System.getProperty(MAX_THREADS);
        String from = "-D" + MAX_THREADS;
        if (v == null || v.isBlank()) {
            v = System.getenv("CIL4J_THREADS_MAX");
            from = "CIL4J_THREADS_MAX";
        }
        if (v == null || v.isBlank()) {
            return 0;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new CilException(from + " must be a whole number of threads (0: no cap), not '" + v + "'");
    }

    /** @return the intra-op threads {@link #start} chose (0 before it ran) */
    public static int threads() {
        return threads;
    }

    /** @return a one-line description of the engine, for logs and provenance */
    public static String describe() {
        Engine e = Engine.getEngine("PyTorch");
        return e.getEngineName() + " " + e.getVersion() + " (DJL " + Engine.getDjlVersion() + ")";
    }

    /** Logs which device is used, once, in words. */
    public static void logDevice(Device device) {
        LOG.info("computing on {} with {}", device, describe());
    }
}
