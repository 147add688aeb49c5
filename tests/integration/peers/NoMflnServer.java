/* SPDX-License-Identifier: MIT */
/*
 * NoMflnServer.java - a TLS 1.2 server that ignores max_fragment_length
 * (RFC 6066), for t_send_mfln.sh: Java's own TLS (JSSE, Debian's OpenJDK)
 * run with -Djdk.tls.server.disableExtensions=max_fragment_length. Every
 * connection gets one answer of 4000 bytes in a single record.
 *
 * java NoMflnServer.java KEYSTORE.p12 PASSWORD PORT
 */
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

public class NoMflnServer {
	static final int BODY = 4000;	/* far over a 512-byte record */
	/* the gateway's answer (docs/protocol.md), so the device counts it
	 * stored; the device id is padding to BODY bytes */
	static final String STORED = "{\"stored\":true,\"device\":\"";

	public static void main(String[] args) throws Exception {
		char[] pass = args[1].toCharArray();
		KeyStore ks = KeyStore.getInstance("PKCS12");
		try (FileInputStream f = new FileInputStream(args[0])) {
			ks.load(f, pass);
		}
		KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
		kmf.init(ks, pass);
		SSLContext ctx = SSLContext.getInstance("TLSv1.2");
		ctx.init(kmf.getKeyManagers(), null, null);
		SSLServerSocket ss = (SSLServerSocket)ctx.getServerSocketFactory()
		    .createServerSocket(Integer.parseInt(args[2]), 8,
		    InetAddress.getLoopbackAddress());
		byte[] answer = ("HTTP/1.1 201 Created\r\nContent-Length: " + BODY +
		    "\r\nConnection: close\r\n\r\n" + STORED +
		    "x".repeat(BODY - STORED.length() - 2) + "\"}")
		    .getBytes(StandardCharsets.US_ASCII);
		System.out.println("listening");
		System.out.flush();
		for (;;) {
			try (SSLSocket s = (SSLSocket)ss.accept()) {
				skipHead(s.getInputStream());
				OutputStream out = s.getOutputStream();
				out.write(answer);
				out.flush();
			} catch (IOException e) {
				/* the device gave up on the record: next one */
			}
		}
	}

	/* Reads up to the empty line that ends a request head. */
	static void skipHead(InputStream in) throws IOException {
		int matched = 0, c;
		byte[] end = { '\r', '\n', '\r', '\n' };

		while (matched < end.length && (c = in.read()) >= 0)
			matched = c == end[matched] ? matched + 1 :
			    c == '\r' ? 1 : 0;
	}
}
