package org.cil4j.engine;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns PyTorch's NNPACK convolutions off where the processor cannot run them.
 *
 * <p>Before each CPU convolution PyTorch 2.7 asks whether NNPACK is available, and where it is
 * not ("Unsupported hardware", as on the machines we build on) it logs a warning on every
 * call: 27 lines on standard error per ResNet-32 forward pass, about 12,000 lines in a
 * 16-second benchmark of the service, the same in every training step. Switching NNPACK off
 * in PyTorch's global context (what Python's {@code torch.backends.nnpack.set_flags(False)}
 * does) skips the question; nothing else changes, because NNPACK could not run there anyway.
 * Where NNPACK works it is left on.
 *
 * <p>DJL exposes no call for this, so it is made through JNA on the two exported C++
 * functions of {@code libtorch_cpu.so} ({@code at::globalContext()} and {@code
 * at::Context::setUserEnabledNNPACK(bool)}). If any of it fails (another platform, another
 * build) the engine runs as before and the warning stays.
 */
final class Nnpack {
    private static final Logger LOG = LoggerFactory.getLogger(Nnpack.class);

    private static boolean done;

    private Nnpack() {}

    /** Call once the engine is loaded; later calls do nothing. */
    static synchronized void offWhereUnsupported() {
        if (done) {
            return;
        }
        done = true;
        try {
            Optional<Path> lib = loadedLibrary("libtorch_cpu.so");
            if (lib.isEmpty()) {
                return;
            }
            NativeLibrary torch = NativeLibrary.getInstance(lib.get().toString());
            boolean available =
                    (torch.getFunction("_ZN2at6native17_nnpack_availableEv").invokeInt(new Object[0]) & 0xff) != 0;
            if (available) {
                return;
            }
            Pointer context = torch.getFunction("_ZN2at13globalContextEv").invokePointer(new Object[0]);
            Function set = torch.getFunction("_ZN2at7Context20setUserEnabledNNPACKEb");
            set.invokeVoid(new Object[] {context, false});
            boolean on =
                    (torch.getFunction("_ZNK2at7Context17userEnabledNNPACKEv").invokeInt(new Object[] {context}) & 0xff)
                            != 0;
            LOG.debug("NNPACK is not supported on this processor; switched {}", on ? "nothing (still on)" : "it off");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            LOG.debug("could not switch NNPACK off: {}", e.toString());
        }
    }

    /** @return the path of a shared library this process has loaded, from {@code /proc/self/maps} */
    private static Optional<Path> loadedLibrary(String fileName) {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return Optional.empty();
        }
        try (Stream<String> lines = Files.lines(maps)) {
            return lines.map(l -> l.substring(l.lastIndexOf(' ') + 1))
                    .filter(p -> p.endsWith("/" + fileName))
                    .findFirst()
                    .map(Path::of);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
