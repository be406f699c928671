"""A real IMAP server for tests: Dovecot (Debian package dovecot-imapd) on 127.0.0.1 with imaps only, a CA and
server certificate made for the run, one user in a passwd-file and a Maildir the tests write into directly."""
from __future__ import annotations

import datetime as dt
import getpass
import grp
import ipaddress
import mailbox
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
USER = "scout"
PASSWORD = "Kr4nrad/s3cret@imap"  # '/' and '@' on purpose: what a URL would misread (':' ends a passwd-file field)
START_TIMEOUT = 10.0
INSTALL_HINT = "dovecot not found: apt-get install dovecot-imapd"

CONFIG = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
ssl = required
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
auth_mechanisms = plain
auth_failure_delay = 0
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  {login_chroot}
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def find_dovecot() -> str | None:
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
                                            if os.access(p, os.X_OK)), None)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path) -> Path:
    """A CA and a server certificate for 127.0.0.1 and localhost signed by it; returns the CA file."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Dossier test CA")).issuer_name(_name("Dossier test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
              .public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=2))
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                          x509.IPAddress(ipaddress.ip_address(HOST))]),
                             critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                             critical=False)
              .sign(ca_key, hashes.SHA256()))
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.TraditionalOpenSSL,
                                                             serialization.NoEncryption()))
    return ca_file


@dataclass
class ImapServer:
    """A running Dovecot: its port, the CA its certificate chains to, and the user's Maildir."""

    root: Path
    port: int
    ca_file: Path
    process: subprocess.Popen
    uid: int
    gid: int

    @property
    def maildir_path(self) -> Path:
        return self.root / "mail" / USER

    def deliver(self, raw: bytes, folder: str | None = None) -> None:
        """Put a message straight into the user's Maildir (INBOX, or a Maildir++ subfolder), as a delivery agent
        would, owned by the mail user."""
        inbox = mailbox.Maildir(self.maildir_path, factory=None, create=True)
        box = inbox if folder is None else inbox.add_folder(folder)
        box.add(raw)
        self._own(self.maildir_path)

    def _own(self, path: Path) -> None:
        if os.geteuid() != 0:
            return
        for directory, dirs, files in os.walk(path):
            os.chown(directory, self.uid, self.gid)
            for name in files:
                os.chown(os.path.join(directory, name), self.uid, self.gid)

    def log(self) -> str:
        log_file = self.root / "dovecot.log"
        return log_file.read_text(errors="replace") if log_file.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


def _users() -> tuple[str, str, str, int, int]:
    """(internal user, its group, login user, mail uid, mail gid). As root, Dovecot's own unprivileged users (the
    Debian package creates dovecot and dovenull; its login process refuses root and the mail uid must not be 0);
    otherwise the current user for everything, and the login process not chrooted."""
    if os.geteuid() == 0:
        dovecot = pwd.getpwnam("dovecot")
        pwd.getpwnam("dovenull")
        return "dovecot", "dovecot", "dovenull", dovecot.pw_uid, dovecot.pw_gid
    me = getpass.getuser()
    group = grp.getgrgid(os.getgid()).gr_name
    return me, group, me, os.getuid(), os.getgid()


def start_server(binary: str) -> ImapServer:
    # Not pytest's tmp_path: that is private to its owner, and Dovecot's unprivileged processes must reach the dir.
    root = Path(tempfile.mkdtemp(prefix="dossier-imap-"))
    root.chmod(0o755)
    internal_user, internal_group, login_user, uid, gid = _users()
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    ca_file = make_certificates(root)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root}/mail/{USER}::\n")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(
        host=HOST, root=root, port=port, uid=uid, gid=gid, internal_user=internal_user,
        internal_group=internal_group, login_user=login_user,
        login_chroot="" if os.geteuid() == 0 else "chroot =",
    ))
    process = subprocess.Popen([binary, "-F", "-c", str(config)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = ImapServer(root, port, ca_file, process, uid, gid)
    inbox = mailbox.Maildir(server.maildir_path, factory=None, create=True)
    inbox.close()
    server._own(root / "mail")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            log = server.log()
            server.stop()
            raise RuntimeError(f"dovecot exited with {process.returncode}: {error}\n{log}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.05)
    log = server.log()
    server.stop()
    raise RuntimeError(f"dovecot did not listen on {HOST}:{port} within {START_TIMEOUT:g} s\n{log}")
