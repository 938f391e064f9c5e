# The startup script helloworld-startup.json names (upload it first: README, Manifests). Each VM of the service runs
# it once at boot with /bin/sh, in its own folder, after unpacking the archive into ./code; its output goes to
# startup.log there, and the VM counts as ready once it is done.
set -e
cp code/index.html greeting.html
echo "$CONPAAS_VM_NAME ($CONPAAS_ROLE) greets with $(wc -c < greeting.html) bytes"
