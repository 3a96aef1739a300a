# Lua dissector checks (label "tshark"): tools/wireshark/sami.lua run by
# `tshark -X lua_script:` must agree with `sami-sniff --json` field by field
# on every valid capture in pcap-samples/ (tests/lua_check.py), and must raise
# no Lua error on the malformed ones (nor on every cut / octet flip of their
# frames; sami-level malformations must show sami.malformed expert info).
# Same sample split as tests/tshark.cmake. Without tshark: SKIP (exit 77).
if(NOT TARGET sami-sniff)
  return()
endif()
find_program(SAMI_LUA_PYTHON3 python3)
if(NOT SAMI_LUA_PYTHON3)
  message(STATUS "Lua dissector checks: python3 not found, not added")
  return()
endif()

set(SAMI_LUA_DISSECTOR ${CMAKE_SOURCE_DIR}/tools/wireshark/sami.lua)
file(GLOB_RECURSE SAMI_LUA_SAMPLES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/pcap-samples/*.pcap ${CMAKE_SOURCE_DIR}/pcap-samples/*.pcapng)
list(SORT SAMI_LUA_SAMPLES)
foreach(f ${SAMI_LUA_SAMPLES})
  get_filename_component(base ${f} NAME)
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR}/pcap-samples ${f})
  if(base MATCHES "-(trunc|overrun|badver|unknown|badcount|malformed|bad)")
    set(mode --robust)
    set(name lua-robust/${rel})
  else()
    set(mode "")
    set(name lua/${rel})
  endif()
  add_test(NAME ${name}
           COMMAND ${SAMI_LUA_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/lua_check.py
                   $<TARGET_FILE:sami-sniff> ${SAMI_LUA_DISSECTOR} ${f} ${mode})
  set_tests_properties(${name} PROPERTIES LABELS tshark SKIP_RETURN_CODE 77)
endforeach()
