package org.cil4j.serve;

import java.nio.file.Path;

/**
 * Starts the service without the CLI (the tests' child processes use it):
 * {@code ServeMain HOME PORT [DB_URL]}. Prints "PORT n" and, on a first start, "ADMIN-TOKEN t"
 * on standard output.
 */
public final class ServeMain {
    private ServeMain() {}

    /**
     * @param args home, port, optional database URL
     * @throws InterruptedException never, in practice: it waits forever
     */
    public static void main(String[] args) throws InterruptedException {
        Path home = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        CilServer.Options o = CilServer.Options.of(home, port);
        if (args.length > 2 && !args[2].isBlank()) {
            o = new CilServer.Options(o.home(), o.port(), "127.0.0.1", args[2], 1, o.limits(), o.maxRequestBytes());
        } else {
            o = new CilServer.Options(o.home(), o.port(), "127.0.0.1", null, 1, o.limits(), o.maxRequestBytes());
        }
        CilServer s = CilServer.start(o);
        s.firstAdminToken().ifPresent(t -> System.out.println("ADMIN-TOKEN " + t));
        System.out.println("PORT " + s.port());
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(s::close));
        Thread.currentThread().join();
    }
}
