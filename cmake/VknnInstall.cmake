# Installs the library, its public headers, vknn-info, a CMake package
# (find_package(vknn) -> vknn::vknn) and a pkg-config file.
include(CMakePackageConfigHelpers)

set(VKNN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vknn)

install(TARGETS vknn EXPORT vknnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS vknn-info RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vknn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT vknnTargets NAMESPACE vknn:: DESTINATION ${VKNN_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vknnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/vknnConfig.cmake
  INSTALL_DESTINATION ${VKNN_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vknnConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vknnConfig.cmake ${PROJECT_BINARY_DIR}/vknnConfigVersion.cmake
  DESTINATION ${VKNN_CMAKE_DIR})

# A static libvknn built with MPI needs MPI's library too (Debian's
# OpenMPI names its pkg-config module mpi-c).
set(VKNN_PC_REQUIRES_PRIVATE "")
if(VKNN_WITH_MPI)
  set(VKNN_PC_REQUIRES_PRIVATE "mpi-c")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/vknn.pc.in ${PROJECT_BINARY_DIR}/vknn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vknn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
