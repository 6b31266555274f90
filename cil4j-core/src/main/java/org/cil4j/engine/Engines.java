package org.cil4j.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;
import org.cil4j.CilException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the deep-learning engine the way cil4j needs it: PyTorch through DJL, offline (the
 * native libraries come from the jar on the class path and nothing is downloaded), with the
 * engine's own log noise silenced.
 */
public final class Engines {
    private static final Logger LOG = LoggerFactory.getLogger(Engines.class);

    static {
        quietEngineLogs();
    }

    private Engines() {}

    /**
     * Sets the system properties DJL reads at start-up. Call before any DJL class is used;
     * {@link #start} does it for you.
     */
    public static void quietEngineLogs() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl", "warn");
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "off");
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.pytorch.jni.LibUtils", "warn");
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
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        Engine engine;
        try {
            engine = Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new CilException(
                    "could not start the PyTorch engine (native libraries from"
                            + " ai.djl.pytorch:pytorch-native-cpu): "
                            + e.getMessage(),
                    e);
        }
        String d = device == null ? "auto" : device.toLowerCase(Locale.ROOT);
        int gpus = engine.getGpuCount();
        switch (d) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (gpus == 0) {
                    throw new CilException(
                            "--device gpu: the engine finds no GPU on this machine (its native"
                                    + " libraries are the CPU build); use --device cpu or auto");
                }
                return Device.gpu();
            case "auto":
                return gpus > 0 ? Device.gpu() : Device.cpu();
            default:
                throw new CilException("--device must be cpu, gpu or auto, not '" + device + "'");
        }
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
