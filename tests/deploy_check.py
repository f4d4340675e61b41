#!/usr/bin/python3
"""Static checks of deploy/ for tests/cli_deploy.sh (no Docker engine and no helm here).

    deploy_check.py SRC XSELL TMP SCRAPE.prom...

SCRAPE.prom: /metrics as scraped from the binary (tests/cli_deploy.sh scrapes `xsell demo`
several times while it runs; the files already passed tests/prom_parse.py).

Prints "ok - ..." for each passed check and exits 1 with "FAIL: ..." at the first failure.
What it checks: every YAML file parses; the compose files have the services and fields xsell
needs (KRaft broker, registry, topic init with compacted catalog and _schemas, a partitioned
events topic, stop grace above shutdown.timeout, non-root, /livez health checks, the sample
mounted read-only); the Dockerfile (stages from debian:12, non-root USER, exec-form
ENTRYPOINT, HEALTHCHECK on /livez, runtime packages for every library the binary links) and
.dockerignore (build trees out, sources in); the Helm chart rendered by tests/helm_render.py
with several value sets, its liveness probe against http.live_timeout and shutdown.timeout;
the Grafana dashboard's queries against the metric families and labels the binary exposes, and
the metric names of README.md (its table with their types) and the chart's NOTES likewise.
Every XSELL_* variable and every key of the chart's ConfigMap must be a configuration key of
the binary. It also writes, for the shell part of the test: TMP/context.list (the build
context's files), TMP/configure.sh (the Dockerfile's configure step), TMP/loader.args,
TMP/*.env and TMP/chart*.properties (commands, environments and properties to run).
"""
import difflib
import fnmatch
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys

import yaml

SRC, XSELL, TMP = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(SRC, "tests"))
import helm_render  # noqa: E402

n = [0]


def ok(msg):
    n[0] += 1
    print("ok %d - %s" % (n[0], msg))


def fail(msg):
    print("FAIL: %s" % msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


# ---- the metric families the binary exposes (its /metrics, scraped by cli_deploy.sh) ---------
SCRAPES = sys.argv[4:]
FAMILIES = {}  # name -> type, from the "# TYPE" lines (a family is declared even with no sample)
LABELS = {}  # family -> the label names its samples carry (in any scrape)
for path in SCRAPES:
    with open(path) as f:
        for line in f:
            m = re.match(r"# TYPE (\S+) (\S+)$", line)
            if m:
                FAMILIES[m.group(1)] = m.group(2)
                continue
            m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? ", line)
            if not m or line.startswith("#"):
                continue
            name = m.group(1)
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            fam = base if FAMILIES.get(base) == "histogram" else name
            LABELS.setdefault(fam, set()).update(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(2) or ""))
check(SCRAPES and len(FAMILIES) > 20 and "xsell_build_info" in FAMILIES,
      "no scrape of /metrics given, or too few families in it: %s" % SCRAPES)
HISTOGRAMS = {n for n, t in FAMILIES.items() if t == "histogram"}

# ---- the binary's configuration keys ---------------------------------------------------------
listing = subprocess.run([XSELL, "config", "--list"], capture_output=True, text=True, check=True).stdout
KEYS = {}
for line in listing.splitlines():
    if line and not line.startswith(" "):
        f = line.split()
        KEYS[f[0]] = f[3] if len(f) > 3 and f[2] == "default" else None
check("shutdown.timeout" in KEYS and "http.live_timeout" in KEYS, "xsell config --list has no shutdown.timeout or http.live_timeout")


def env_key(var):
    """The key an XSELL_* variable sets, as processor/util/conf.c maps it."""
    name = var[len("XSELL_") :]
    for k in KEYS:
        if k.replace(".", "_").upper() == name:
            return k
    if name.startswith("KAFKA_"):
        return "kafka." + name[6:].lower().replace("_", ".")
    return None


def check_env(where, env):
    for var in env:
        if not var.startswith("XSELL_"):
            continue
        k = env_key(var)
        check(k is not None, "%s: %s is no configuration key (xsell config --list)" % (where, var))


def duration_ms(s):
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)?", str(s).strip())
    check(m is not None, "cannot parse duration %r" % s)
    mult = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000}
    return int(m.group(1)) * mult[m.group(2) or "ms"]


def write_env(path, env):
    with open(path, "w") as f:
        for k, v in sorted(env.items()):
            f.write("%s=%s\n" % (k, v))


# ---- YAML files parse ------------------------------------------------------------------------
deploy = os.path.join(SRC, "deploy")
yamls = []
for dirpath, dirs, files in os.walk(deploy):
    if os.path.basename(dirpath) == "templates":
        continue  # Go templates: rendered below
    for fn in files:
        if fn.endswith((".yml", ".yaml")):
            p = os.path.join(dirpath, fn)
            try:
                with open(p) as f:
                    yaml.safe_load(f)
            except yaml.YAMLError as e:
                fail("%s does not parse: %s" % (p, e))
            yamls.append(os.path.relpath(p, SRC))
check(len(yamls) >= 4, "too few YAML files found: %s" % yamls)
ok("every YAML file of deploy/ parses: %s" % ", ".join(sorted(yamls)))

# ---- compose -----------------------------------------------------------------------------------
with open(os.path.join(deploy, "docker-compose.yml")) as f:
    compose = yaml.safe_load(f)
svc = compose.get("services", {})
for s in ("kafka", "kafka-init", "schema-registry", "xsell", "loader"):
    check(s in svc, "docker-compose.yml: no service %s" % s)
check(svc["kafka"]["image"].startswith("apache/kafka:"), "kafka is not apache/kafka")
kenv = svc["kafka"]["environment"]
check("controller" in kenv.get("KAFKA_PROCESS_ROLES", ""), "kafka: not in KRaft mode (process.roles)")
check("zookeeper" not in json.dumps(compose).lower(), "compose mentions ZooKeeper")
check(str(kenv.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE")) == "false",
      "kafka: auto-created topics would bypass kafka-init's settings")
check(svc["schema-registry"]["image"].startswith("confluentinc/cp-schema-registry:"),
      "schema-registry is not confluentinc/cp-schema-registry")
ok("compose: apache/kafka in KRaft mode (no ZooKeeper, no auto-created topics), cp-schema-registry")


def grace_check(where, s):
    env = s.get("environment", {})
    check_env(where, env)
    tmo = env.get("XSELL_SHUTDOWN_TIMEOUT", KEYS["shutdown.timeout"])
    grace = s.get("stop_grace_period")
    check(grace is not None, "%s: no stop_grace_period (docker's default is 10 s)" % where)
    check(duration_ms(grace) > duration_ms(tmo),
          "%s: stop_grace_period %s is not above shutdown.timeout %s" % (where, grace, tmo))
    user = str(s.get("user", ""))
    check(user and user.split(":")[0] not in ("0", "root"), "%s: runs as %r, not a non-root user" % (where, user))
    hc = " ".join(s.get("healthcheck", {}).get("test", []))
    check("/livez" in hc, "%s: no health check on /livez" % where)
    check(env.get("XSELL_HTTP_ADDRESS") == "0.0.0.0", "%s: http.address is not 0.0.0.0" % where)
    live = env.get("XSELL_HTTP_LIVE_TIMEOUT", KEYS["http.live_timeout"])
    check(duration_ms(live) > duration_ms(tmo),
          "%s: http.live_timeout %s is not above shutdown.timeout %s (/livez fails while a commit waits)" % (where, live, tmo))
    return tmo, grace


tmo, grace = grace_check("docker-compose.yml xsell", svc["xsell"])
xs = svc["xsell"]
check(xs.get("read_only") is True and "ALL" in xs.get("cap_drop", []), "xsell: not read-only or keeps capabilities")
ok("compose xsell: stop_grace_period %s > shutdown.timeout %s, user %s, /livez health check, "
   "http.address 0.0.0.0, read-only, no capabilities" % (grace, tmo, xs["user"]))

# topics of the init job: --topic NAME [--partitions N] [--config k=v]...
init = " ".join(svc["kafka-init"].get("command", []))
topics = {}
for line in init.splitlines():
    if "--topic" not in line:
        continue
    w = shlex.split(line.replace("$$", "$"))
    name = w[w.index("--topic") + 1]
    parts = w[w.index("--partitions") + 1] if "--partitions" in w else None
    confs = [w[i + 1] for i, x in enumerate(w) if x == "--config"]
    topics[name] = (parts, confs)
env = xs["environment"]
defaults = {k: KEYS.get(k) for k in ("topic.events", "topic.catalog", "topic.offers", "topic.dead_letter")}
want = {k: env.get("XSELL_" + k.replace(".", "_").upper(), v) for k, v in defaults.items()}
for k in ("topic.signals", "topic.outcomes"):
    v = env.get("XSELL_" + k.replace(".", "_").upper())
    if v:
        want[k] = v
for k, t in want.items():
    check(t in topics, "kafka-init does not create %s (%s)" % (t, k))
check("cleanup.policy=compact" in topics[want["topic.catalog"]][1],
      "the catalog topic %s is not compacted" % want["topic.catalog"])
check("_schemas" in topics and "cleanup.policy=compact" in topics["_schemas"][1]
      and topics["_schemas"][0] == "1", "the registry's _schemas topic is not created compacted with 1 partition")
check(svc["schema-registry"]["environment"].get("SCHEMA_REGISTRY_KAFKASTORE_TOPIC", "_schemas") == "_schemas",
      "the registry does not use the _schemas topic kafka-init creates")
ev_parts = topics[want["topic.events"]][0]
ev_parts = svc["kafka-init"].get("environment", {}).get(ev_parts.strip("${}"), ev_parts) if ev_parts.startswith("$") else ev_parts
check(int(ev_parts) > 1, "the events topic is not partitioned (%s)" % ev_parts)
for k in ("topic.offers",):
    p = topics[want[k]][0]
    p = svc["kafka-init"].get("environment", {}).get(p.strip("${}"), p) if p.startswith("$") else p
    check(int(p) == int(ev_parts), "%s has %s partitions, not the events topic's %s (co-partitioning)" % (k, p, ev_parts))
for dep in ("kafka-init", "schema-registry"):
    check(dep in xs.get("depends_on", {}), "xsell does not wait for %s" % dep)
check(xs["depends_on"]["kafka-init"].get("condition") == "service_completed_successfully",
      "xsell does not wait for the topics to exist")
ok("compose kafka-init: creates %s; compacted: %s; events partitioned (%s), offers co-partitioned"
   % (", ".join(sorted(topics)), ", ".join(sorted(t for t, (_, c) in topics.items() if "cleanup.policy=compact" in c)), ev_parts))

# the loader: the real sample, read-only
ld = svc["loader"]
vols = ld.get("volumes", [])
check(any(str(v).endswith(":/data:ro") for v in vols), "loader: the sample is not mounted read-only at /data: %s" % vols)
cmd = ld["command"]
check(cmd[0] == "produce", "loader does not run xsell produce: %s" % cmd)
data_path = cmd[-1]
check(data_path.startswith("/data/"), "loader reads %s, outside the mount" % data_path)
check_env("loader", ld.get("environment", {}))
check(ld.get("healthcheck", {}).get("disable") is True, "loader inherits the image's /livez health check (it serves no HTTP)")
with open(os.path.join(TMP, "loader.args"), "w") as f:
    f.write("\n".join(cmd[:-1] + [data_path[len("/data/") :]]) + "\n")
write_env(os.path.join(TMP, "loader.env"), ld.get("environment", {}))
write_env(os.path.join(TMP, "xsell.env"), env)
ok("compose loader: xsell %s, the sample mounted read-only, no health check" % " ".join(cmd))

with open(os.path.join(deploy, "compose.ccloud.yml")) as f:
    cc = yaml.safe_load(f)["services"]["xsell"]
grace_check("compose.ccloud.yml xsell", cc)
ccenv = cc["environment"]
check(ccenv.get("XSELL_KAFKA_SECURITY_PROTOCOL") == "SASL_SSL" and ccenv.get("XSELL_KAFKA_SASL_MECHANISMS") == "PLAIN",
      "compose.ccloud.yml: not SASL_SSL/PLAIN")
for var in ccenv:
    check("PASSWORD" not in var and "BASIC_AUTH" not in var, "compose.ccloud.yml: secret %s inline" % var)
check(cc.get("env_file"), "compose.ccloud.yml: secrets do not come from an env file")
example = {}
with open(os.path.join(deploy, "ccloud.env.example")) as f:
    for line in f:
        if line.strip() and not line.startswith("#"):
            k, v = line.rstrip("\n").split("=", 1)
            example[k] = v
for var in ("XSELL_KAFKA_SASL_USERNAME", "XSELL_KAFKA_SASL_PASSWORD", "XSELL_REGISTRY_BASIC_AUTH"):
    check(var in example, "ccloud.env.example has no %s" % var)
check_env("ccloud.env.example", example)
write_env(os.path.join(TMP, "ccloud.env"), dict(example, **ccenv))
with open(os.path.join(SRC, ".gitignore")) as f:
    check("/deploy/*.env" in f.read().split(), ".gitignore does not keep deploy/*.env out of git")
ok("compose.ccloud.yml: SASL_SSL/PLAIN, credentials only from an env file (kept out of git and of the image)")

# ---- Dockerfile and .dockerignore --------------------------------------------------------------
with open(os.path.join(deploy, "Dockerfile")) as f:
    raw = f.read()
instr = []
cur = ""
for line in raw.splitlines():
    if line.lstrip().startswith("#") and not cur:
        continue
    if line.rstrip().endswith("\\"):
        cur += line.rstrip()[:-1] + " "
        continue
    cur += line
    if cur.strip():
        w = cur.strip().split(None, 1)
        instr.append((w[0].upper(), w[1] if len(w) > 1 else ""))
    cur = ""
stages = [i for i, (k, _) in enumerate(instr) if k == "FROM"]
check(len(stages) == 2, "Dockerfile: %d stages, expected build + runtime" % len(stages))
for i in stages:
    check(instr[i][1].split()[0] == "debian:12", "Dockerfile: stage from %s, not debian:12" % instr[i][1])
final = instr[stages[-1] :]
build = instr[: stages[-1]]
users = [v for k, v in final if k == "USER"]
check(users, "Dockerfile: the runtime stage has no USER (runs as root)")
u = users[-1].split(":")[0]
check(u not in ("0", "root") and u.isdigit(), "Dockerfile: USER %s is root or not numeric (runAsNonRoot needs a UID)" % users[-1])
ep = [v for k, v in final if k == "ENTRYPOINT"]
check(ep and ep[-1].strip().startswith("["), "Dockerfile: ENTRYPOINT is not in exec form (a shell as PID 1 swallows SIGTERM)")
epv = json.loads(ep[-1])
check(epv[-1].endswith("/xsell"), "Dockerfile: ENTRYPOINT does not run xsell: %s" % epv)
check(epv[0] == "/usr/bin/tini" or len(epv) == 1, "Dockerfile: ENTRYPOINT wraps xsell in %s" % epv[0])
hc = [v for k, v in final if k == "HEALTHCHECK"]
check(hc and "/livez" in hc[-1], "Dockerfile: no HEALTHCHECK on /livez")
envs = " ".join(v for k, v in final if k == "ENV")
check("XSELL_HTTP_ADDRESS=0.0.0.0" in envs, "Dockerfile: http.address is not 0.0.0.0 in the container")
denv = dict(x.split("=", 1) for x in envs.split() if "=" in x)
check_env("Dockerfile", denv)
write_env(os.path.join(TMP, "dockerfile.env"), denv)
check(not any(k == "ADD" for k, _ in instr), "Dockerfile: ADD (use COPY)")
run_final = " ".join(v for k, v in final if k == "RUN")
apt = re.search(r"apt-get install ([^&]*)", run_final)
check(apt, "Dockerfile: the runtime stage installs no packages")
runtime_pkgs = {w for w in apt.group(1).split() if not w.startswith("-")}
for pkg in ("tini", "curl"):
    if pkg in " ".join(epv + hc):
        check(pkg in runtime_pkgs, "Dockerfile: uses %s without installing it" % pkg)
# every library the binary links comes from a runtime package (or libc)
needed = re.findall(r"\(NEEDED\).*\[(.*)\]", subprocess.run(["readelf", "-d", XSELL], capture_output=True, text=True).stdout)
check(needed, "readelf found no NEEDED entries in %s" % XSELL)
from_pkgs = []
for lib in needed:
    if re.match(r"lib(asan|ubsan|lsan|tsan)\.so", lib):
        continue  # a sanitizer build of the test suite, not what the image builds
    out = subprocess.run(["dpkg", "-S", "*/" + lib], capture_output=True, text=True).stdout
    pkgs = {l.split(":")[0] for l in out.splitlines() if l}
    check(pkgs, "dpkg does not know who ships %s" % lib)
    if pkgs & {"libc6"}:
        continue
    check(pkgs & runtime_pkgs, "Dockerfile runtime stage lacks the package of %s (%s)" % (lib, ", ".join(sorted(pkgs))))
    from_pkgs.append("%s:%s" % (lib, "/".join(sorted(pkgs & runtime_pkgs))))
run_build = [v for k, v in build if k == "RUN"]
check(any("install-deps.sh --build" in r for r in run_build), "Dockerfile: the build stage does not install tools/install-deps.sh --build")
configure = [r for r in run_build if r.strip().startswith("cmake -S")]
check(len(configure) == 1, "Dockerfile: no single configure step (RUN cmake -S ...)")
with open(os.path.join(TMP, "configure.sh"), "w") as f:
    f.write(configure[0].replace("/build", '"$IMGBUILD"') + "\n")
check(any("--target xsell" in r for r in run_build), "Dockerfile: the build step does not build the xsell target")
ok("Dockerfile: two debian:12 stages, USER %s, exec-form ENTRYPOINT %s, HEALTHCHECK on /livez, "
   "runtime packages cover %s" % (users[-1], epv, ", ".join(from_pkgs)))


def dockerignore_patterns():
    pats = []
    with open(os.path.join(SRC, ".dockerignore")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                pats.append(line)
    return pats


def ignored(path, pats):
    """Docker's rule (moby/patternmatcher): the last matching pattern wins; '!' re-includes;
    a pattern matching a directory excludes everything below it; '**' spans directories."""
    result = False
    parts = path.split("/")
    for p in pats:
        neg = p.startswith("!")
        p = p[1:] if neg else p
        p = p.strip("/")
        rx = "^" + re.escape(p).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]") + "$"
        for i in range(1, len(parts) + 1):
            if re.match(rx, "/".join(parts[:i])):
                result = not neg
                break
    return result


pats = dockerignore_patterns()
for p in ("build/CMakeCache.txt", "build-asan/CMakeCache.txt", "build/xsell", "out/offers.txt", ".git/HEAD",
          "processor/util/x.o", "tests/__pycache__/kafka_util.cpython-311.pyc", "deploy/ccloud.env"):
    check(ignored(p, pats), ".dockerignore lets %s into the build context" % p)
for p in ("CMakeLists.txt", "processor/util/conf.c", "include/xsell.h", "schemas/offer.avsc",
          "tools/install-deps.sh", "tools/embed_schemas.cmake", "tools/build.sh", "deploy/Dockerfile"):
    check(not ignored(p, pats), ".dockerignore excludes %s, which the build needs" % p)
# every file of the source tree, a local build/ included (git ignores it; docker does not)
files = []
for dirpath, dirs, fs in os.walk(SRC):
    for fn in fs:
        files.append(os.path.normpath(os.path.relpath(os.path.join(dirpath, fn), SRC)))
ctx = sorted({f for f in set(files) if os.path.isfile(os.path.join(SRC, f)) and not ignored(f, pats)})
check(not [f for f in ctx if f.endswith("CMakeCache.txt")], "a CMakeCache.txt is in the build context")
check("CMakeLists.txt" in ctx and "tools/install-deps.sh" in ctx, "the context lacks the sources")
with open(os.path.join(TMP, "context.list"), "w") as f:
    f.write("\n".join(ctx) + "\n")
ok(".dockerignore: build trees, out/, .git, objects and local env files out; %d files in the context, no CMakeCache.txt" % len(ctx))

# ---- Helm chart ----------------------------------------------------------------------------------
chart = os.path.join(deploy, "helm", "xsell")


def render(*sets, notes=False):
    try:
        text = helm_render.render(chart, sets, notes=notes)
    except helm_render.TemplateError as e:
        fail("helm chart does not render with %s: %s" % (list(sets), e))
    if notes:
        return text
    docs = [d for d in yaml.safe_load_all(text) if d]
    by = {}
    for d in docs:
        check("kind" in d and "metadata" in d, "rendered manifest without kind/metadata: %s" % d)
        by.setdefault(d["kind"], []).append(d)
    return text, by


text, by = render()
for kind in ("Deployment", "ConfigMap", "Service"):
    check(kind in by, "the chart renders no %s" % kind)
check("ServiceMonitor" not in by and "Secret" not in by, "ServiceMonitor or Secret rendered without being asked for")
dep = by["Deployment"][0]
pod = dep["spec"]["template"]
c = pod["spec"]["containers"][0]
port = [p for p in c["ports"] if p["name"] == "http"][0]["containerPort"]
check(c["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}, "liveness probe is not GET /livez on http")
check(c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, "readiness probe is not GET /readyz on http")
check(c.get("startupProbe", {}).get("httpGet", {}).get("path") == "/livez", "no startup probe on /livez")
cenv = {e["name"]: e for e in c["env"]}
check(cenv["XSELL_HTTP_ADDRESS"]["value"] == "0.0.0.0", "chart: http.address is not 0.0.0.0")
check(int(cenv["XSELL_HTTP_PORT"]["value"]) == port, "chart: http.port %s is not the container port %s" % (cenv["XSELL_HTTP_PORT"]["value"], port))
check_env("chart Deployment", cenv)
cm = by["ConfigMap"][0]
props = cm["data"]["xsell.properties"]
conf = dict(l.split("=", 1) for l in props.splitlines() if l and not l.startswith("#"))
for k in conf:
    check(k in KEYS or k.startswith("kafka."), "chart ConfigMap: %s is no configuration key" % k)
check(c["args"][:3] == ["run", "-F", "/etc/xsell/xsell.properties"], "the container does not read the ConfigMap: %s" % c["args"])
mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
vols = {v["name"]: v for v in pod["spec"]["volumes"]}
check(vols[mounts["/etc/xsell"]]["configMap"]["name"] == cm["metadata"]["name"], "the ConfigMap is not mounted at /etc/xsell")
tg = dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
stmo = duration_ms(conf.get("shutdown.timeout", KEYS["shutdown.timeout"]))
check(tg * 1000 > stmo, "terminationGracePeriodSeconds %s is not above shutdown.timeout (%d ms)" % (tg, stmo))
psc, csc = pod["spec"]["securityContext"], c["securityContext"]
check(psc.get("runAsNonRoot") is True and int(psc.get("runAsUser", 0)) != 0, "pod may run as root")
check(csc.get("readOnlyRootFilesystem") is True and csc.get("allowPrivilegeEscalation") is False
      and "ALL" in csc.get("capabilities", {}).get("drop", []), "container securityContext is not locked down")
# liveness: /livez itself fails only after http.live_timeout without progress, which must be
# above shutdown.timeout (a commit may wait that long); the probe then restarts the pod after
# failureThreshold failures periodSeconds apart, which should not add more than live_timeout
lt = duration_ms(cenv["XSELL_HTTP_LIVE_TIMEOUT"]["value"]) if "XSELL_HTTP_LIVE_TIMEOUT" in cenv else duration_ms(KEYS["http.live_timeout"])
lp = c["livenessProbe"]
check(lt > stmo, "chart: http.live_timeout (%d ms) is not above shutdown.timeout (%d ms)" % (lt, stmo))
check(lp["periodSeconds"] * lp["failureThreshold"] * 1000 <= lt,
      "chart: the liveness probe waits %d s x %d on top of http.live_timeout (%d ms): more than live_timeout again"
      % (lp["periodSeconds"], lp["failureThreshold"], lt))
check(lp["timeoutSeconds"] < lp["periodSeconds"], "chart: liveness timeoutSeconds not below periodSeconds")
with open(os.path.join(TMP, "chart.env"), "w") as f:
    for e in c["env"]:
        if "value" in e:
            f.write("%s=%s\n" % (e["name"], e["value"]))
with open(os.path.join(TMP, "chart.properties"), "w") as f:
    f.write(props)
check(c.get("resources", {}).get("requests") and c["resources"].get("limits", {}).get("memory"), "no resources")
ann = pod["metadata"]["annotations"]
check(re.fullmatch(r"[0-9a-f]{64}", ann.get("checksum/config", "")), "no checksum/config annotation")
svc_ = by["Service"][0]
check(svc_["spec"]["selector"].items() <= pod["metadata"]["labels"].items(), "the metrics Service does not select the pods")
check(svc_["spec"]["ports"][0]["targetPort"] == "http", "the metrics Service does not target the http port")
ok("chart (defaults): probes /livez (startup, liveness) and /readyz on port %d, ConfigMap mounted and read with -F, "
   "termination grace %ss > shutdown.timeout, http.live_timeout %d s above it and liveness %ds x %d within it, "
   "non-root read-only, resources, metrics Service selects the pods"
   % (port, tg, lt // 1000, lp["periodSeconds"], lp["failureThreshold"]))

_, by2 = render("config.window\\.size=2d")
ann2 = by2["Deployment"][0]["spec"]["template"]["metadata"]["annotations"]
check(ann2["checksum/config"] != ann["checksum/config"], "checksum/config does not change with the configuration")
check(ann2.get("checksum/secret") == ann.get("checksum/secret"), "checksum/secret changed with the configuration")
ok("chart: checksum/config follows the ConfigMap (a config change rolls the pods)")

secret_vals = ("sasl-user-17", "s3cr3t-pa55", "sr-user:sr-pa55")
text3, by3 = render("auth.saslUsername=%s" % secret_vals[0], "auth.saslPassword=%s" % secret_vals[1],
                    "auth.registryBasicAuth=%s" % secret_vals[2], "config.kafka\\.security\\.protocol=SASL_SSL",
                    "config.kafka\\.sasl\\.mechanisms=PLAIN")
check("Secret" in by3, "no Secret rendered from auth values")
sec = by3["Secret"][0]
check(sec["stringData"] == {"sasl-username": secret_vals[0], "sasl-password": secret_vals[1],
                            "registry-basic-auth": secret_vals[2]}, "Secret data: %s" % sec.get("stringData"))
c3 = by3["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]
refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in c3["env"] if "valueFrom" in e}
for var, key in (("XSELL_KAFKA_SASL_USERNAME", "sasl-username"), ("XSELL_KAFKA_SASL_PASSWORD", "sasl-password"),
                 ("XSELL_REGISTRY_BASIC_AUTH", "registry-basic-auth")):
    check(refs.get(var, {}).get("name") == sec["metadata"]["name"] and refs[var]["key"] == key,
          "%s does not come from the Secret's %s: %s" % (var, key, refs.get(var)))
    check(env_key(var) in ("kafka.sasl.username", "kafka.sasl.password", "registry.basic_auth"), "%s maps to %s" % (var, env_key(var)))
non_secret = [d for d in text3.split("---\n") if "templates/secret.yaml" not in d]
for v in secret_vals:
    check(not any(v in d for d in non_secret), "a credential appears outside the Secret")
props3 = by3["ConfigMap"][0]["data"]["xsell.properties"]
check("kafka.security.protocol=SASL_SSL" in props3 and "kafka.sasl.mechanisms=PLAIN" in props3, "SASL settings not in the ConfigMap")
ann3 = by3["Deployment"][0]["spec"]["template"]["metadata"]["annotations"]
check(ann3["checksum/secret"] != ann["checksum/secret"], "checksum/secret does not follow the credentials")
with open(os.path.join(TMP, "chart-sasl.properties"), "w") as f:
    f.write(props3)
ok("chart with SASL_SSL/PLAIN: credentials only in a Secret, referenced by XSELL_KAFKA_SASL_USERNAME/PASSWORD and "
   "XSELL_REGISTRY_BASIC_AUTH, never in the ConfigMap or the Deployment")

_, by4 = render("auth.existingSecret=ccloud-creds")
check("Secret" not in by4, "a Secret is rendered although existingSecret is set")
c4 = by4["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]
refs4 = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in c4["env"] if "valueFrom" in e}
check(set(refs4.values()) == {"ccloud-creds"} and len(refs4) == 3, "existingSecret not referenced: %s" % refs4)
ok("chart with auth.existingSecret: no Secret rendered, the three variables refer to it")

# every optional block at once: a mis-indented toYaml/nindent shows up as a YAML error or a
# value in the wrong place
opt = os.path.join(TMP, "optional-values.yaml")
with open(opt, "w") as f:
    yaml.safe_dump({
        "podAnnotations": {"example.com/a": "1"}, "podLabels": {"team": "growth"},
        "imagePullSecrets": [{"name": "regcred"}],
        "extraEnv": [{"name": "XSELL_WINDOW_SIZE", "value": "2d"}],
        "extraVolumes": [{"name": "ca", "secret": {"secretName": "kafka-ca"}}],
        "extraVolumeMounts": [{"name": "ca", "mountPath": "/etc/kafka-ca", "readOnly": True}],
        "nodeSelector": {"pool": "stream"}, "tolerations": [{"key": "stream", "operator": "Exists"}],
        "affinity": {"podAntiAffinity": {}}, "service": {"annotations": {"example.com/b": "2"}},
        "image": {"tag": "9.9.9"}, "fullnameOverride": "xs"}, f)
try:
    by6 = {d["kind"]: d for d in yaml.safe_load_all(helm_render.render(chart, value_files=[opt])) if d}
except (helm_render.TemplateError, yaml.YAMLError) as e:
    fail("the chart with every optional value: %s" % e)
p6 = by6["Deployment"]["spec"]["template"]
c6 = p6["spec"]["containers"][0]
check(p6["metadata"]["annotations"].get("example.com/a") == "1" and "checksum/config" in p6["metadata"]["annotations"], "podAnnotations")
check(p6["metadata"]["labels"].get("team") == "growth", "podLabels")
check(p6["spec"]["imagePullSecrets"] == [{"name": "regcred"}], "imagePullSecrets")
check({"name": "XSELL_WINDOW_SIZE", "value": "2d"} in c6["env"], "extraEnv")
check_env("extraEnv", {e["name"]: 1 for e in c6["env"]})
check({"name": "ca", "secret": {"secretName": "kafka-ca"}} in p6["spec"]["volumes"], "extraVolumes")
check(any(m["mountPath"] == "/etc/kafka-ca" for m in c6["volumeMounts"]), "extraVolumeMounts")
check(p6["spec"]["nodeSelector"] == {"pool": "stream"} and p6["spec"]["tolerations"][0]["key"] == "stream"
      and "podAntiAffinity" in p6["spec"]["affinity"], "nodeSelector/tolerations/affinity")
check(by6["Service"]["metadata"]["annotations"] == {"example.com/b": "2"}, "service.annotations")
check(c6["image"] == "xsell:9.9.9" and by6["Deployment"]["metadata"]["name"] == "xs", "image.tag or fullnameOverride")
ok("chart with every optional value (annotations, labels, pull secrets, extra env and volumes, scheduling): "
   "each lands where Kubernetes expects it")

for bad in ("config.kafka\\.sasl\\.password=x", "config.registry\\.basic_auth=u:p", "config.http\\.port=1",
            "config.http\\.live_timeout=90s", "config.log\\.level=debug"):
    try:
        helm_render.render(chart, [bad])
        fail("the chart accepts %s" % bad)
    except helm_render.TemplateError as e:
        check("config." in str(e), "unexpected error for %s: %s" % (bad, e))
for bad in ("config.kafka\\.ssl\\.keystore\\.password=x", "config.kafka\\.ssl\\.key\\.pem=x",
            "config.kafka\\.sasl\\.oauthbearer\\.config=principal=x", "config.kafka\\.SASL\\.Password=x",
            "config.registry\\.url=https://sruser:srpw@registry:8081"):
    try:
        helm_render.render(chart, [bad])
        fail("the chart accepts the secret %s in its ConfigMap" % bad)
    except helm_render.TemplateError as e:
        check("config." in str(e) and ("secret" in str(e) or "credentials" in str(e)),
              "unexpected error for %s: %s" % (bad, e))
render("config.registry\\.url=https://registry.example.com:8081/sr@v1")  # an @ in the path is no credential
ok("chart refuses secrets and http/log keys in config (they belong in auth and http/logFormat/logLevel): every "
   "secret as xsell sees one (ssl.key.*, keystore passwords, sasl.oauthbearer.config, URL credentials)")

# numbers from a values file are float64 in Helm and print as 5e+06 (helm/helm#12195), which
# xsell refuses: the ConfigMap must carry them as integers (cli_deploy.sh hands the properties
# to xsell config --show); a fraction stays a fraction; --set ints (int64) print in full
nums = os.path.join(TMP, "numbers-values.yaml")
with open(nums, "w") as f:
    f.write("config:\n  state.restore_max_events: 5000000\n  customers.max: 1000000\n"
            "  cooc.max_pairs: 123456789\n  kafka.queue.buffering.max.ms: 0.5\n")
try:
    cmn = [d for d in yaml.safe_load_all(helm_render.render(chart, value_files=[nums])) if d and d["kind"] == "ConfigMap"][0]
except (helm_render.TemplateError, yaml.YAMLError) as e:
    fail("the chart with large numbers in config: %s" % e)
pn = cmn["data"]["xsell.properties"]
for line in ("state.restore_max_events=5000000", "customers.max=1000000", "cooc.max_pairs=123456789",
             "kafka.queue.buffering.max.ms=0.5"):
    check(line in pn.splitlines(), "chart ConfigMap from a values file: no line %s in %s" % (line, pn))
with open(os.path.join(TMP, "chart-numbers.properties"), "w") as f:
    f.write(pn)
_, byn = render("config.state\\.restore_max_events=7000000")
check("state.restore_max_events=7000000" in byn["ConfigMap"][0]["data"]["xsell.properties"].splitlines(),
      "chart ConfigMap from --set: %s" % byn["ConfigMap"][0]["data"]["xsell.properties"])
ok("chart ConfigMap: integers >= 1e6 from a values file or --set are written in full, not as 5e+06")

_, by5 = render("serviceMonitor.enabled=true", "serviceMonitor.labels.release=prom")
sm = by5["ServiceMonitor"][0]
ep = sm["spec"]["endpoints"][0]
check(ep["port"] == "http" and ep["path"] == "/metrics", "ServiceMonitor endpoint: %s" % ep)
check(sm["spec"]["selector"]["matchLabels"].items() <= by5["Service"][0]["metadata"]["labels"].items(),
      "the ServiceMonitor does not select the metrics Service")
check(sm["metadata"]["labels"].get("release") == "prom", "serviceMonitor.labels not applied")
ok("chart with serviceMonitor.enabled: scrapes /metrics on the Service's http port")

notes = render("replicaCount=6", "inputPartitions=4", notes=True)
check("idle" in notes and "WARNING: replicaCount 6 > inputPartitions 4: 2 replica(s) will idle" in notes, "NOTES: %s" % notes)
check("xsell_assigned_partitions" in notes and "xsell_assigned_partitions" in FAMILIES,
      "NOTES do not name xsell_assigned_partitions (how an idle replica shows), or xsell does not expose it")
def props(by_kind):
    cm = by_kind["ConfigMap"][0]["data"]["xsell.properties"]
    return dict(l.split("=", 1) for l in cm.splitlines() if "=" in l and not l.startswith("#"))
check("state.share_panes" not in props(by), "one replica: state.share_panes set")
_, byr = render("replicaCount=3")
check(props(byr).get("state.share_panes") == "true", "3 replicas: state.share_panes is not true")
_, byr2 = render("replicaCount=3", "config.state\\.share_panes=false")
check(props(byr2).get("state.share_panes") == "false" and
      "state.share_panes=true" not in byr2["ConfigMap"][0]["data"]["xsell.properties"],
      "3 replicas with config state.share_panes=false: overridden")
check("cooccurrence-panes" in notes and "state.share_panes=true" in notes, "NOTES of 6 replicas do not name the panes topic")
ok("chart: more than one replica shares panes (state.share_panes=true unless config says otherwise; NOTES name the topic)")
notes1 = render(notes=True)
check("idle" in notes1 and "WARNING" not in notes1, "NOTES without the partition note or with a false warning")
ok("chart NOTES: replicas beyond the input partitions idle, show xsell_assigned_partitions 0 (and a warning when "
   "replicaCount > inputPartitions)")

# the renderer must refuse what it does not know (so that a chart outside the subset cannot pass)
bad_chart = os.path.join(TMP, "badchart")
os.makedirs(os.path.join(bad_chart, "templates"), exist_ok=True)
with open(os.path.join(bad_chart, "Chart.yaml"), "w") as f:
    f.write("apiVersion: v2\nname: bad\nversion: 0.1.0\n")
with open(os.path.join(bad_chart, "values.yaml"), "w") as f:
    f.write("a: 1\n")
for body in ('{{ lookup "v1" "Secret" "ns" "x" }}', "{{ if .Values.a }}x", "{{ .Values.a.b }}", "{{ .Values | toJson }}"):
    with open(os.path.join(bad_chart, "templates", "x.yaml"), "w") as f:
        f.write(body + "\n")
    try:
        helm_render.render(bad_chart)
        fail("helm_render accepted %r" % body)
    except helm_render.TemplateError:
        pass
ok("helm_render refuses an unknown function, an unclosed block, a field of a non-map")

# ---- Grafana dashboard --------------------------------------------------------------------------
with open(os.path.join(deploy, "grafana", "xsell-dashboard.json")) as f:
    dash = json.load(f)
exprs = []


def walk(p):
    for t in p.get("targets", []):
        exprs.append(t["expr"])
    for q in p.get("panels", []):
        walk(q)


for p in dash["panels"]:
    walk(p)
    if p.get("type") != "row":
        check(p.get("targets"), "panel %r queries nothing" % p.get("title"))
# Labels Prometheus adds to every series from the scrape target (static and Kubernetes service
# discovery, the ServiceMonitor's defaults), not from /metrics.
TARGET_LABELS = {"job", "instance", "namespace", "pod", "service", "container", "endpoint"}


def family(m):
    base = re.sub(r"_(bucket|sum|count)$", "", m)
    return base if base in HISTOGRAMS else m


def labels_of(m):
    """The label names a series of metric name m can carry, or None if no scrape had a sample."""
    fam = family(m)
    if fam not in LABELS:
        return None
    have = set(LABELS[fam])
    if fam in HISTOGRAMS and not m.endswith("_bucket"):
        have.discard("le")
    return have | TARGET_LABELS


def close_paren(e, i):
    """The index just past the parenthesis that closes the one at e[i]."""
    depth = 0
    for j in range(i, len(e)):
        depth += {"(": 1, ")": -1}.get(e[j], 0)
        if depth == 0:
            return j + 1
    fail("unbalanced parentheses in %r" % e)


names = set()
unsampled = set()
for e in exprs:
    for m, sel in re.findall(r"\b(xsell_[a-z0-9_]+)(\{[^}]*\})?", e):
        fam = family(m)
        check(fam in FAMILIES, "the dashboard queries %s, which xsell does not expose (%d families; close: %s)"
              % (m, len(FAMILIES), ", ".join(difflib.get_close_matches(fam, FAMILIES, 3)) or "none"))
        check(fam not in HISTOGRAMS or m != fam, "%s is a histogram: query its _bucket, _sum or _count" % m)
        names.add(fam)
        have = labels_of(m)
        if have is None:
            unsampled.add(fam)
            continue
        for lbl in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", sel):
            check(lbl in have, "%r matches label %s, which %s does not carry (it has: %s)"
                  % (e, lbl, m, ", ".join(sorted(have - TARGET_LABELS)) or "none"))
    # an aggregation by labels: each of them on every metric inside it
    for agg in re.finditer(r"\b(?:sum|min|max|avg|count) (?:by|without) \(([^)]*)\) \(", e):
        inner = e[agg.end() - 1 : close_paren(e, agg.end() - 1)]
        for m in re.findall(r"\bxsell_[a-z0-9_]+", inner):
            have = labels_of(m)
            for lbl in (x.strip() for x in agg.group(1).split(",") if x.strip()):
                check(lbl not in ("customer_id", "product_id", "customer", "product"), "a customer or product id as a label")
                check(have is None or lbl in have, "%r groups %s by %s, a label it does not carry (it has: %s)"
                      % (e, m, lbl, ", ".join(sorted(have - TARGET_LABELS)) or "none"))
allq = "\n".join(exprs)
for what, rx in (("throughput", r"rate\(xsell_records_consumed_total"), ("offers by type", r"by \(type\) \(rate\(xsell_offers_total"),
                 ("conversion rate by type", r"sum by \(type\) \(rate\(xsell_conversions_total\{[^}]*\}\[\w+\]\)\) / "
                                             r"sum by \(type\) \(rate\(xsell_offers_made_total"),
                 ("control group's conversion rate", r"xsell_control_conversions_total.* / .*xsell_control_group_total"),
                 ("dead letters by reason", r"by \(reason\) \(rate\(xsell_dead_letters_total"),
                 ("consumer lag", r"xsell_consumer_lag"),
                 ("latency p99", r"histogram_quantile\(0\.99, sum by \(le\) \(rate\(xsell_processing_latency_seconds_bucket"),
                 ("restore progress", r"xsell_restore_(events_total|done)"), ("readiness", r"xsell_ready\b"),
                 ("progress age", r"time\(\) - xsell_last_progress_seconds"),
                 ("assigned partitions per instance (idle replicas)", r"xsell_assigned_partitions"),
                 ("brokers up", r"xsell_kafka_brokers_up")):
    check(re.search(rx, allq), "the dashboard has no %s panel" % what)
check(not re.search(r"(?<!time\(\) - )xsell_last_progress_seconds", allq),
      "xsell_last_progress_seconds is a Unix time: the dashboard must show time() - it")
if unsampled:
    print("# note: no sample of %s in the scrapes: their labels were not checked" % ", ".join(sorted(unsampled)))
ok("Grafana dashboard: %d queries over %d of the %d metric families xsell exposes, every label they match or group "
   "by carried by the metric (throughput, offers by type, conversion rates, dead letters by reason, lag, p99 latency, "
   "restore, readiness, progress age, assigned partitions, brokers up)" % (len(exprs), len(names), len(FAMILIES)))

# ---- metric names in the README and the chart's notes ------------------------------------------
# Every xsell_... name they give is a series of a family the binary exposes (the README's metric
# table gives names without the prefix; that table is the observability part's to keep).
said = {}
for rel in ("README.md", "deploy/helm/xsell/templates/NOTES.txt"):
    with open(os.path.join(SRC, rel)) as f:
        for m in re.findall(r"\bxsell_[a-z0-9_]*[a-z0-9]\b", f.read()):
            said.setdefault(m, rel)
bad = sorted("%s (%s)" % (m, rel) for m, rel in said.items() if family(m) not in FAMILIES)
check(not bad, "metric names that xsell does not expose: %s" % ", ".join(bad))
# the README's metric table: | `name`, `name` | type, type | labels | what |, names unprefixed
with open(os.path.join(SRC, "README.md")) as f:
    readme = f.read()
table = re.search(r"^\| metric \| type \| labels \| what \|\n\|[-|]+\|\n((?:\|.*\n)+)", readme, re.M)
check(table, "README.md has no metric table (| metric | type | labels | what |)")
rows = 0
for row in table.group(1).splitlines():
    cells = [c.strip() for c in row.strip("|").split("|")]
    names = re.findall(r"`([a-z0-9_]+)`", cells[0])  # `<name>_total` rows are patterns: skipped
    types = [t.strip() for t in cells[1].split(",")]
    for i, nm in enumerate(names):
        fam = "xsell_" + nm
        check(fam in FAMILIES, "README metric table: %s is not exposed (close: %s)"
              % (fam, ", ".join(difflib.get_close_matches(fam, FAMILIES, 3)) or "none"))
        t = types[i] if len(types) == len(names) else types[0]
        check(FAMILIES[fam] == t, "README metric table: %s is a %s, not a %s" % (fam, FAMILIES[fam], t))
        rows += 1
ok("README.md and the chart's NOTES: the %d xsell_ metric names they give and the %d metrics of the README's "
   "table are all exposed, with the types the table says" % (len(said), rows))

print("checks %d" % n[0])
