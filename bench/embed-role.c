/* A minimal firmware image per role, for bench/embed-check.sh: what a switch
 * (SAMI_ROLE_BRIDGE) or a hypervisor agent (SAMI_ROLE_HV) links of the core
 * when it calls the API its role needs and nothing else. Built at -Os with
 * -ffunction-sections -fdata-sections and linked with --gc-sections against
 * the core archive; the script sums the core's .text sections that survive.
 *
 * The entry points sit in a table that main reads through a volatile index,
 * so the linker keeps exactly these functions and what they call, as a real
 * firmware's calls would. Nothing here is run beyond main's table lookup:
 * the figure is about what gets linked, not about behaviour.
 *
 * Bridge: ECP engine, VDP bridge, migration bridge, transfer engine (the
 * store is the firmware's own, so the reference memstore is not linked),
 * LLDP with EVB and the sami capability. No VDP station, no migration
 * hypervisor side. Hypervisor: ECP engine, VDP station, migration
 * hypervisor side, LLDP with EVB and the sami capability; no transfer. */
#include <stdint.h>

#include "sami/ecp_engine.h"
#include "sami/evb.h"
#include "sami/lldp.h"
#include "sami/samicap.h"
#include "sami/samitlv.h"
#if defined(SAMI_ROLE_BRIDGE)
#include "sami/mig_bridge.h"
#include "sami/vdp_bridge.h"
#include "sami/xfer_engine.h"
#elif defined(SAMI_ROLE_HV)
#include "sami/mig_hv.h"
#include "sami/vdp_station.h"
#else
#error "define SAMI_ROLE_BRIDGE or SAMI_ROLE_HV"
#endif

typedef void (*sami_entry)(void);
#define E(f) ((sami_entry)(f))

const sami_entry sami_role_entries[] = {
    /* both roles: ECP transport, LLDP with EVB TLVs and the sami capability */
    E(sami_ecp_engine_config_default), E(sami_ecp_engine_init), E(sami_ecp_engine_input),
    E(sami_ecp_engine_run), E(sami_ecp_engine_send), E(sami_ecp_engine_set_params),
    E(sami_lldp_decode), E(sami_lldp_encode), E(sami_lldp_get_org), E(sami_lldp_write_org),
    E(sami_lldp_write_end), E(sami_evb_from_org), E(sami_evb_encode), E(sami_evb_negotiate),
    E(sami_samicap_from_org), E(sami_samicap_encode),
#if defined(SAMI_ROLE_BRIDGE)
    E(sami_vdp_bridge_config_default), E(sami_vdp_bridge_init), E(sami_vdp_bridge_input),
    E(sami_vdp_bridge_run), E(sami_vdp_bridge_deassoc), E(sami_vdp_bridge_send_org),
    E(sami_vdp_bridge_set_evb), E(sami_vdp_bridge_set_policy), E(sami_vdp_bridge_set_params),
    E(sami_mig_bridge_cfg_default), E(sami_mig_bridge_init), E(sami_mig_bridge_notification_input),
    E(sami_mig_bridge_run), E(sami_mig_bridge_xfer_event), E(sami_mig_bridge_get),
    E(sami_xfer_engine_create), E(sami_xfer_engine_destroy), E(sami_xfer_engine_add_peer),
    E(sami_xfer_engine_set_keyring), E(sami_xfer_engine_input), E(sami_xfer_engine_run),
    E(sami_xfer_engine_precopy), E(sami_xfer_engine_commit), E(sami_xfer_engine_abort),
    E(sami_xfer_engine_expect), E(sami_xfer_engine_activate), E(sami_xfer_engine_set_deadline),
    E(sami_xfer_engine_forget),
    /* the org TLVs vdp_bridge hands up: notifications in, feedback out */
    E(sami_samitlv_notif_decode), E(sami_samitlv_feedback_encode),
#else
    E(sami_vdp_station_config_default), E(sami_vdp_station_init), E(sami_vdp_station_input),
    E(sami_vdp_station_request), E(sami_vdp_station_run), E(sami_vdp_station_send_org),
    E(sami_vdp_station_set_evb), E(sami_vdp_station_set_params),
    E(sami_mig_hv_cfg_default), E(sami_mig_hv_init), E(sami_mig_hv_start),
    E(sami_mig_hv_time_point), E(sami_mig_hv_feedback_input), E(sami_mig_hv_run),
    E(sami_mig_hv_abort), E(sami_mig_hv_end), E(sami_mig_hv_get), E(sami_mig_hv_set_addrs),
    /* feedback the station hands up */
    E(sami_samitlv_feedback_decode),
#endif
};

int main(int argc, char **argv)
{
    unsigned i = (unsigned)argc % (sizeof sami_role_entries / sizeof sami_role_entries[0]);
    /* a volatile load: otherwise a compiler that knows every entry is a
     * non-null function address folds the test and drops the table (clang) */
    sami_entry f = ((const volatile sami_entry *)sami_role_entries)[i];
    (void)argv;
    return f != 0 ? 0 : 1;
}
